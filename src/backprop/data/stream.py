"""Tables larger than memory: read from disk as Arrow record batches on every pass, never whole.

TableStream yields a CSV, Parquet file or folder of Parquet files batch by batch (a seeded shuffle of the
row groups or files); the model's Encoder types and encodes each batch exactly as the in-memory reader
does (columns.encode). Each row goes to the test, validation or training part by a stable hash of what
the reader made of it (row_hash), so a later `evaluate --held-out` finds the same test rows without a
list of them. fit_stream computes what the in-memory path fits on whole arrays, in two passes: the
categories and classes, then (the one-hot columns known) the scaler's statistics on the training rows
and the target's scaler.
"""

import hashlib
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ..errors import ConfigError, DataError
from .encoder import MAX_CATEGORIES, Encoder
from .files import check_regular
from .preprocessing import Scaler

BATCH_ROWS = 1 << 14  # rows a batch is read in: its memory, not the table's, is what a pass holds
CSV_BLOCK = 1 << 22  # bytes of CSV text pyarrow parses at a time
TEST, VALIDATION, TRAIN = 0, 1, 2


class TableStream:
    """A table on disk read batch by batch: a CSV file, a Parquet file or a folder of Parquet files."""

    def __init__(self, path, header=True):
        from . import tables
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise DataError(f"{self.path}: no such file")
        if os.path.isdir(self.path):
            self.files = sorted(os.path.join(root, f) for root, _, fs in os.walk(self.path) for f in fs
                                if not f.startswith((".", "_")))
            if not self.files or any(tables.format_of(f) != tables.PARQUET for f in self.files):
                raise DataError(f"{self.path}: --stream reads a folder of Parquet files only")
        else:
            check_regular(self.path)
            self.files = [self.path]
        self.kind = tables.format_of(self.files[0])
        if self.kind == tables.IPC:
            raise DataError(f"{self.path}: --stream reads CSV and Parquet; convert a Feather file to Parquet")
        self.first_line = 0 if self.kind == tables.PARQUET else 2 if header else 1
        self.header, self.decimal_comma, self._csv_types = header, False, None
        self.names = self._parquet_names() if self.kind == tables.PARQUET else self._csv_setup()
        tables.check_names(self.names, self.path)

    def _parquet_names(self):
        import pyarrow.parquet as pq
        try:
            return list(pq.ParquetFile(self.files[0]).schema_arrow.names)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{self.files[0]}: not a readable Parquet file ({str(exc)[:200]})") from None

    def _csv_setup(self):
        """The delimiter, decimal mark and column names from the file's first bytes (as tables.read_arrow)."""
        import csv
        from . import tables
        size = os.path.getsize(self.path)
        with open(self.path, "rb") as f:
            head = tables.file_head(f, size)  # a header longer than the sample is read to its end
        if head[:2] == b"\x1f\x8b":
            raise DataError(f"{self.path}: --stream reads plain CSV; decompress the .gz file first")
        whole = len(head) >= size
        text = tables._sample(head, self.path, whole)
        self.delimiter, self.decimal_comma = tables.sniff(text, whole)
        first = next(csv.reader([text.splitlines()[0]], delimiter=self.delimiter), [])
        return [c.strip() for c in first] if self.header else [f"col{j + 1}" for j in range(len(first))]

    def batches(self, rng=None, text_columns=()):
        """Yields (RecordBatch, the message row of its first row); rng shuffles the row groups or files."""
        if self.kind == "parquet":
            yield from self._parquet_batches(rng)
        else:
            yield from self._csv_batches(text_columns)

    def _parquet_batches(self, rng):
        import pyarrow.parquet as pq
        parts = [(f, g) for f in self.files for g in range(pq.ParquetFile(f).num_row_groups)]
        starts = np.cumsum([0] + [pq.ParquetFile(f).metadata.row_group(g).num_rows for f, g in parts])
        for k in (range(len(parts)) if rng is None else rng.permutation(len(parts))):
            path, group = parts[k]
            row = int(starts[k])
            for batch in pq.ParquetFile(path).iter_batches(BATCH_ROWS, row_groups=[group]):
                yield batch, row
                row += batch.num_rows

    def _csv_batches(self, text_columns):
        """A CSV's rows in order: the column types are those of the first block, kept for every later one."""
        import pyarrow.csv as pacsv
        from .tables import missing_spellings
        types = {c: pa.string() for c in text_columns}
        if self._csv_types is not None:
            types = {**self._csv_types, **types}
        reader = pacsv.open_csv(
            self.path, read_options=pacsv.ReadOptions(column_names=self.names, skip_rows=1 if self.header else 0,
                                                      block_size=CSV_BLOCK),
            parse_options=pacsv.ParseOptions(delimiter=self.delimiter),
            convert_options=pacsv.ConvertOptions(
                null_values=missing_spellings(), strings_can_be_null=True, quoted_strings_can_be_null=True,
                true_values=[], false_values=[], timestamp_parsers=[], column_types=types,
                decimal_point="," if self.decimal_comma else "."))
        self._csv_types = {name: reader.schema.field(name).type for name in self.names}
        row = self.first_line
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as exc:
                raise DataError(f"{self.path}: after row {row - 1}: {str(exc).splitlines()[0][:200]}") from None
            for start in range(0, batch.num_rows, BATCH_ROWS):
                part = batch.slice(start, BATCH_ROWS)
                yield part, row
                row += part.num_rows


# ---- the split: a stable hash of each row -----------------------------------------------------------
def _mix(h):
    """splitmix64's finaliser on uint64 h (a well-spread 64-bit hash of h), vectorised."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def _label_bits(y):
    """uint64 per label: a number's float64 bits (-0.0 as 0.0), a text label's blake2b digest."""
    if y.dtype.kind in "iufb":
        return (np.asarray(y, np.float64) + 0.0).view(np.uint64)
    values, index = np.unique(y.astype(str), return_inverse=True)
    digests = np.array([int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "little")
                        for v in values.tolist()], dtype=np.uint64)
    return digests[index.reshape(-1)]


def row_hash(X, y, seed):
    """A uint64 hash (n,) of each row of the encoded inputs X (n, d) and its label y (n,): the same row gives
    the same hash in any batch, run or file format (it hashes what the reader made of the cells)."""
    h = np.full(X.shape[0], np.uint64(seed or 0) ^ np.uint64(0x5851F42D4C957F2D), dtype=np.uint64)
    bits = (np.asarray(X, np.float64) + 0.0).view(np.uint64)  # + 0.0: -0.0 hashes as 0.0
    for j in range(bits.shape[1]):
        h = _mix(h ^ bits[:, j])
    return _mix(h ^ _label_bits(np.asarray(y)))


def parts(h, test_split, validation_split):
    """TEST, VALIDATION or TRAIN (n,) for row hashes h: test_split of the rows, then validation_split of the rest."""
    u = (h >> np.uint64(11)).astype(np.float64) * 2.0**-53  # uniform in [0, 1)
    v = (_mix(h ^ np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.where(u < test_split, TEST, np.where(v < validation_split, VALIDATION, TRAIN))


# ---- one pass: categories, scaler, classes ----------------------------------------------------------
@dataclass
class StreamFit:
    """What one pass over a stream fits: the encoder, the input scaler, the task and its labels or target scaler."""

    encoder: Encoder
    scaler: Scaler
    task: str
    classes: list | None
    target_scaler: Scaler
    counts: dict  # rows per part: {"test": n, "validation": n, "train": n}


class _Moments:
    """Count, mean, M2 (sum of squared deviations), min and max per column, merged batch by batch (Chan et al.)."""

    def __init__(self, d):
        self.n, self.mean, self.m2 = 0, np.zeros(d), np.zeros(d)
        self.low, self.high = np.full(d, np.inf), np.full(d, -np.inf)

    def add(self, X):
        m = X.shape[0]
        if not m:
            return
        mean = X.mean(axis=0)
        m2 = ((X - mean) ** 2).sum(axis=0)
        n = self.n + m
        delta = mean - self.mean
        self.mean = self.mean + delta * (m / n)
        self.m2 = self.m2 + m2 + delta**2 * (self.n * m / n)
        self.n = n
        self.low, self.high = np.minimum(self.low, X.min(axis=0)), np.maximum(self.high, X.max(axis=0))

    def scaler(self, kind):
        if kind == "none":
            return Scaler("none")
        if kind == "standard":
            center, scale = self.mean, np.sqrt(self.m2 / max(self.n, 1))
        else:
            center, scale = self.low, self.high - self.low
        return Scaler(kind, center, np.where(scale > 0, scale, 1.0))


def fit_stream(stream, features, target, *, task="auto", scale="standard", seed=0, test_split=0.2,
               validation_split=0.0, max_categories=MAX_CATEGORIES):
    """A StreamFit from two passes over stream: categories from every row, statistics from the training rows."""
    from . import columns as typing
    where = f"{stream.path}: "
    categorical, numeric_seen, labels = {}, set(), set()
    for batch, first_line in stream.batches(text_columns=[target]):
        table = pa.Table.from_batches([batch])
        for name in features:
            column = table[name]
            if typing.is_categorical(column):
                known = categorical.setdefault(name, set())
                known.update(typing.categories_of(column, name, where, max_categories))
                if len(known) > max_categories:
                    raise ConfigError(f"{where}column {name!r} holds more than {max_categories} distinct values "
                                      f"(--max-categories); drop it (--drop {name}) or raise --max-categories")
            elif typing.is_text(column.type) and column.null_count < len(column):
                numeric_seen.add(name)
        y = typing.target_values(table[target], target, where, first_line, max_categories)
        if task == "auto":
            task = "classification" if y.dtype.kind in "iuUSOb" else "regression"
        if task == "classification":
            labels.update(np.unique(y).tolist())
            if len(labels) > max_categories:
                raise ConfigError(f"{where}the target column {target!r} holds more than {max_categories} classes")
    mixed = sorted(set(categorical) & numeric_seen)
    if mixed:
        raise DataError(f"{where}column {mixed[0]!r} holds numbers in some rows and words in others; fix the cells "
                        f"(or drop the column with --drop {mixed[0]})")
    encoder = Encoder(list(features), {c: sorted(v) for c, v in categorical.items()}, {})
    moments, target_moments = _Moments(encoder.width), _Moments(1)
    counts = np.zeros(3, dtype=np.int64)
    for batch, first_line in stream.batches(text_columns=[target]):
        X = encoder.transform(batch, where, first_line, stream.decimal_comma)
        y = typing.target_values(batch.column(target), target, where, first_line)
        part = parts(row_hash(X, y, seed), test_split, validation_split)
        counts += np.bincount(part, minlength=3)
        moments.add(X[part == TRAIN])
        if task == "regression":
            target_moments.add(y[part == TRAIN].astype(float).reshape(-1, 1))
    if counts[TRAIN] == 0:
        raise ConfigError(f"{where}no rows left for training after --test-split {test_split:g} and "
                          f"--validation-split {validation_split:g}")
    classes = None
    if task == "classification":
        classes = sorted(labels)
        if len(classes) < 2:
            raise DataError(f"{where}the target has a single class ({classes[0]!r}); classification needs two")
    return StreamFit(encoder, moments.scaler(scale), task, classes,
                     target_moments.scaler("standard") if task == "regression" else Scaler(),
                     {"test": int(counts[TEST]), "validation": int(counts[VALIDATION]), "train": int(counts[TRAIN])})
