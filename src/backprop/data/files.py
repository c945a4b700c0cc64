"""Reading data files: CSV, NPZ and MNIST-format IDX, each checked with errors that name the spot."""

import csv
import gzip
import io
import os
import re
import stat
import struct
import warnings
import zipfile
import zlib

import numpy as np

from ..errors import DataError

_INTEGER = re.compile(r"^[+-]?\d+$")
MAX_DATA_BYTES = 4 << 30  # a data file's arrays, uncompressed (.npz members, .gz IDX files): 4 GiB
# Real data compress a few times over; zeros 1000 times. Past this ratio, and past 16 MiB, a file is a bomb.
MAX_RATIO, RATIO_FROM = 100, 16 << 20


def check_ratio(path, declared, compressed, what="data"):
    """Refuse a compressed entry that would expand more than MAX_RATIO times (beyond RATIO_FROM bytes)."""
    if declared > RATIO_FROM and declared > MAX_RATIO * max(compressed, 1):
        raise DataError(f"{path}: {what} would expand from {compressed} bytes to {declared / 2**20:.0f} MiB "
                        f"(more than {MAX_RATIO}:1); refused as a likely decompression bomb")


class MissingColumns(DataError):
    """A CSV's header lacks a column the model takes."""


def check_regular(path):
    """Refuse what is not a regular file (a FIFO would hang, /dev/zero never ends) before opening it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: not a regular file (a folder, FIFO or device); name a data file")


def _float(cell):
    try:
        return float(cell)
    except ValueError:
        return None


def read_csv(path, target=None, has_target=True, columns=None):
    """(X (n, d) float64, y (n,) int64/float64/str, feature_names, target_name) from a CSV file.

    With has_target=False every column is a feature and y and target_name are None. With columns
    (names) and a header row, X holds those columns in that order (any order in the file; others
    are ignored) and y is None; a missing one is an error naming it.

    The delimiter (, ; tab |) and a header row are detected; target is a column name or index
    (default: the last column). Integer or string targets are class labels; others are real values.
    """
    rows = csv_rows(path)
    names, rows, has_header = _header(path, rows)
    width = len(names)
    if width < 2 and has_target:
        raise DataError(f"{path}: only one column; a data file needs feature columns and a target column "
                        f"(is the delimiter one of , ; tab |?)")
    for line, row in rows:
        if len(row) != width:
            raise DataError(f"{path}: row {line} has {len(row)} cells but the file has {width} columns")
    t = _target_index(path, target, names) if has_target else None
    feature_columns = [j for j in range(width) if j != t]
    if columns is not None and has_header:
        missing = [c for c in columns if c not in names]
        if missing:
            error = MissingColumns(f"{path}: no column {', '.join(map(repr, missing[:5]))}"
                                   f"{' (and more)' if len(missing) > 5 else ''}; the model takes the columns "
                                   f"{', '.join(columns[:10])}{', ...' if len(columns) > 10 else ''}")
            error.header = names
            raise error
        t, feature_columns = None, [names.index(c) for c in columns]
    X = _features(path, rows, names, feature_columns)
    if t is None:
        return X, None, [names[j] for j in feature_columns], None
    return X, _target(path, rows, names, t), [names[j] for j in feature_columns], names[t]


def csv_rows(path):
    """[(line number, cells)] of the non-empty rows of a CSV file; the delimiter is detected."""
    check_regular(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:  # utf-8-sig drops a byte-order mark
            text = f.read()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    if not text.strip():
        raise DataError(f"{path}: the file is empty")
    try:
        dialect = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = [(i + 1, row) for i, row in enumerate(reader) if any(c.strip() for c in row)]
    if not rows:
        raise DataError(f"{path}: every cell is empty")
    return rows


def _header(path, rows):
    """(column names, data rows, whether the first row was a header): a row of words over numbers is one."""
    first = [c.strip() for c in rows[0][1]]
    numeric_below = len(rows) > 1 and [_float(c) is not None for c in rows[1][1]]
    has_header = (len(rows) == 1 and all(_float(c) is None for c in first)) or (
        len(rows) > 1 and any(_float(c) is None and j < len(numeric_below) and numeric_below[j]
                              for j, c in enumerate(first)))
    if not has_header and _column_numbers(first):
        has_header = True  # 1,2,3 or 0,1,2 over numbers: the columns' names, not a sample
        warnings.warn(f"{path}: the first row ({','.join(first[:6])}{',...' if len(first) > 6 else ''}) numbers the "
                      "columns; read as the header, not as data", RuntimeWarning, stacklevel=3)
    if has_header:
        names = first
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise DataError(f"{path}: the header names column(s) {', '.join(map(repr, duplicates))} more than once")
        rows = rows[1:]
    else:
        names = [f"column {j + 1}" for j in range(len(first))]
    if not rows:
        raise DataError(f"{path}: a header but no data rows")
    return names, rows, has_header


def _features(path, rows, names, feature_columns):
    """X (n, len(feature_columns)): every cell a finite number, or an error naming its row and column."""
    X = np.empty((len(rows), len(feature_columns)))
    for i, (line, row) in enumerate(rows):
        for k, j in enumerate(feature_columns):
            value = _float(row[j].strip())
            if value is None:
                raise DataError(f"{path}: row {line}, column {names[j]!r}: {row[j]!r} is not a number")
            if not np.isfinite(value):
                raise DataError(f"{path}: row {line}, column {names[j]!r}: {row[j].strip()} is not a finite number; "
                                "remove or impute it")
            X[i, k] = value
    return X


def _target(path, rows, names, t):
    """The target column of the rows (see target_values)."""
    return target_values([row[t] for _, row in rows], [line for line, _ in rows], f"{path}: ", names[t])


def target_values(cells, lines, where, name):
    """A target column's cells as int64 class labels, text labels, or finite real values; an empty or
    infinite cell is an error naming its row (lines: each cell's line in the file)."""
    cells = [str(c).strip() for c in cells]
    for line, cell in zip(lines, cells):
        if not cell:
            raise DataError(f"{where}row {line}, column {name!r}: the target is empty")
    if all(_INTEGER.match(c) for c in cells) and all(-2**63 <= int(c) < 2**63 for c in cells):
        return np.array([int(c) for c in cells], dtype=np.int64)
    if all(_INTEGER.match(c) for c in cells):  # integers past int64 (ids, codes): kept as text labels
        return np.array(cells, dtype=str)
    if all(_float(c) is not None for c in cells):
        y = np.array([float(c) for c in cells])
        if not np.isfinite(y).all():
            line = lines[int(np.argmin(np.isfinite(y)))]
            raise DataError(f"{where}row {line}, column {name!r}: the target is not a finite number")
        return y
    return np.array(cells, dtype=str)


def _column_numbers(first):
    """True when the cells are 1..d or 0..d-1 in order: column numbers, written where names go."""
    if len(first) < 2 or not all(_INTEGER.match(c) for c in first):
        return False
    values = [int(c) for c in first]
    return values in (list(range(1, len(first) + 1)), list(range(len(first))))


def _target_index(path, target, names):
    if target is None:
        return len(names) - 1
    if str(target) in names:
        return names.index(str(target))
    try:
        index = int(target)
    except ValueError:
        raise DataError(f"{path}: no column named {target!r}; columns: {', '.join(names)}") from None
    if not -len(names) <= index < len(names):
        raise DataError(f"{path}: column index {index} is out of range for {len(names)} columns")
    return index % len(names)


def read_npz(path):
    """(X (n, d), y (n,) or (n, k)) from an .npz file holding arrays named X and y."""
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file")
    check_regular(path)
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path}: not a valid .npz file (not a zip archive); save with np.savez(path, X=X, y=y)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in ("X", "y") if k not in archive.files]
            if missing:
                found = ", ".join(archive.files) or "none"
                raise DataError(f"{path}: no array named {' or '.join(missing)} (found: {found}); "
                                "save with np.savez(path, X=X, y=y)")
            _check_npz_sizes(path, archive.zip)
            X, y = archive["X"], archive["y"]
    except DataError:
        raise
    except ValueError as exc:  # object arrays need pickle, which is never allowed
        raise DataError(f"{path}: holds arrays that cannot be read without pickle ({exc}); "
                        "save plain numeric arrays") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc})") from None
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise DataError(f"{path}: not a valid .npz file ({type(exc).__name__}: {exc})") from None
    if y.dtype.kind == "S":  # bytes labels (np.savez of b"..."): text, as a CSV's labels are
        try:
            y = np.char.decode(y, "utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{path}: y holds byte strings that are not UTF-8; save the labels as str") from None
    if y.dtype.kind not in "iufbU":
        raise DataError(f"{path}: y must hold numbers or text labels, got dtype {y.dtype}")
    if X.dtype.kind not in "iufb":
        raise DataError(f"{path}: X must be numeric, got dtype {X.dtype}")
    if X.ndim != 2:
        raise DataError(f"{path}: X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.ndim not in (1, 2):
        raise DataError(f"{path}: y must be 1-D labels or 2-D targets, got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise DataError(f"{path}: X has {X.shape[0]} rows but y has {y.shape[0]}")
    if X.shape[0] == 0:
        raise DataError(f"{path}: no samples")
    if not np.isfinite(X).all():
        raise DataError(f"{path}: X contains NaN or infinite values")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataError(f"{path}: y contains NaN or infinite values")
    return X.astype(float), y


def _check_npz_sizes(path, archive):
    """Refuse an archive whose members declare more than MAX_DATA_BYTES, or more than their headers say."""
    total = 0
    for info in archive.infolist():
        check_ratio(path, info.file_size, info.compress_size, f"entry {info.filename}")
        with archive.open(info) as f:
            try:
                version = np.lib.format.read_magic(f)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, _, dtype = read(f, max_header_size=10000)
            except ValueError:
                continue  # not an .npy member; np.load reports it
            if dtype.hasobject:
                continue  # pickled objects: np.load refuses them below, saying so
            declared = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if f.tell() + declared != info.file_size:
                raise DataError(f"{path}: entry {info.filename} declares shape {shape} but holds "
                                f"{info.file_size - f.tell()} bytes; a damaged or hostile file")
        check_ratio(path, declared, info.compress_size, f"entry {info.filename}")
        total += declared
        if total > MAX_DATA_BYTES:
            raise DataError(f"{path}: the arrays declare {total / 2**30:.1f} GiB uncompressed, more than the "
                            f"{MAX_DATA_BYTES >> 30} GiB backprop reads; refused")


IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array in an IDX file (the MNIST format), raw or gzip-compressed.

    The header's shape is checked against MAX_DATA_BYTES before the data are read, and no more
    bytes than it declares are ever decompressed: a .gz bomb costs a few kilobytes.
    """
    check_regular(path)
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
        with (gzip.open if gzipped else open)(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in IDX_TYPES:
                raise DataError(f"{path}: not an IDX file (bad magic number)")
            ndim = head[3]
            dims = f.read(4 * ndim)
            if len(dims) < 4 * ndim:
                raise DataError(f"{path}: IDX header is truncated")
            shape = struct.unpack(f">{ndim}I", dims)
            dtype = np.dtype(IDX_TYPES[head[2]])
            size = int(np.prod(shape, dtype=object)) * dtype.itemsize
            if size > MAX_DATA_BYTES:
                raise DataError(f"{path}: the IDX header declares shape {shape}, {size / 2**30:.1f} GiB, more "
                                f"than the {MAX_DATA_BYTES >> 30} GiB backprop reads; refused")
            if gzipped:
                check_ratio(path, size, os.path.getsize(path), "the IDX data")
            data = f.read(size)
            extra = f.read(1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read IDX file ({exc})") from None
    if len(data) != size or extra:
        held = f"more than {size}" if extra else str(len(data))
        raise DataError(f"{path}: IDX file holds {held} bytes of data, expected shape {shape} ({size} bytes)")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder, stem):
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise DataError(f"{folder}: no {stem} or {stem}.gz; expected the standard MNIST file names "
                    "(or run: backprop datasets download mnist)")


def read_mnist(folder):
    """((X_train, y_train), (X_test, y_test)) from the four standard MNIST IDX files in folder."""
    sets = []
    for prefix in ("train", "t10k"):
        images = read_idx(_find(folder, f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(_find(folder, f"{prefix}-labels-idx1-ubyte"))
        if images.ndim < 2 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise DataError(f"{folder}: {prefix} images {images.shape} and labels {labels.shape} do not match")
        sets.append((images.reshape(images.shape[0], -1).astype(float), labels.astype(np.int64)))
    return sets[0], sets[1]


def warn_if_unscaled(X, scale):
    """Warn (a RuntimeWarning) when features are huge and no scaling is applied."""
    if scale == "none" and X.size and np.abs(X).max() > 1e3:
        warnings.warn(f"inputs reach {np.abs(X).max():.3g} in magnitude and are not scaled; "
                      "sigmoid and tanh units will saturate. Use --scale standard", RuntimeWarning, stacklevel=2)
