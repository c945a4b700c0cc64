"""Reading the files that are not tables: NPZ and MNIST-format IDX; and the bounds every data file meets."""

import gzip
import os
import stat
import struct
import warnings
import zipfile
import zlib

import numpy as np

from ..errors import DataError

MAX_DATA_BYTES = 4 << 30  # a data file's arrays, uncompressed (.npz members, .gz IDX files): 4 GiB
MAX_NAME = 1000  # characters in a column, category, class, feature or target name (tables and model files)
# Real data compress a few times over; zeros 1000 times. Past this ratio, and past 16 MiB, a file is a bomb.
MAX_RATIO, RATIO_FROM = 100, 16 << 20


def check_ratio(path, declared, compressed, what="data"):
    """Refuse a compressed entry that would expand more than MAX_RATIO times (beyond RATIO_FROM bytes)."""
    if declared > RATIO_FROM and declared > MAX_RATIO * max(compressed, 1):
        raise DataError(f"{path}: {what} would expand from {compressed} bytes to {declared / 2**20:.0f} MiB "
                        f"(more than {MAX_RATIO}:1); refused as a likely decompression bomb")


def check_regular(path):
    """Refuse what is not a regular file (a FIFO would hang, /dev/zero never ends) before opening it."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: not a regular file (a folder, FIFO or device); name a data file")


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
    if y.dtype.kind == "u" and y.dtype.itemsize == 8:  # uint64: int64 labels where they fit, else text (as a CSV's)
        y = y.astype(np.int64) if not y.size or y.max() < 2**63 else y.astype(str)
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


GZIP_MAGIC = b"\x1f\x8b"


def gzipped(path):
    """True for a gzip file (by its first two bytes, not its name); path is a regular file."""
    with open(path, "rb") as raw:
        return raw.read(2) == GZIP_MAGIC


def read_idx(path):
    """The array in an IDX file (the MNIST format), raw or gzip-compressed.

    The header's shape is checked against MAX_DATA_BYTES before the data are read, and no more
    bytes than it declares are ever decompressed: a .gz bomb costs a few kilobytes.
    """
    check_regular(path)
    try:
        with (gzip.open if gzipped(path) else open)(path, "rb") as f:
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
        if images.shape[0] == 0:
            raise DataError(f"{folder}: the {prefix} files hold 0 images; they are empty or damaged")
        if labels.dtype.kind == "f" and not np.array_equal(labels, np.round(labels)):
            bad = labels[labels != np.round(labels)][:3].tolist()
            raise DataError(f"{folder}: the {prefix} labels hold {', '.join(map(repr, bad))}; "
                            "MNIST labels are whole class numbers")
        sets.append((images.reshape(images.shape[0], -1).astype(float), labels.astype(np.int64)))
    return sets[0], sets[1]


def warn_if_unscaled(X, scale):
    """Warn (a RuntimeWarning) when features are huge and no scaling is applied."""
    if scale == "none" and X.size and np.abs(X).max() > 1e3:
        warnings.warn(f"inputs reach {np.abs(X).max():.3g} in magnitude and are not scaled; "
                      "sigmoid and tanh units will saturate. Use --scale standard", RuntimeWarning, stacklevel=2)
