"""Tables larger than memory: read from disk as Arrow record batches on every pass, never whole.

TableStream yields a CSV (plain or .gz), Parquet or Feather file, or a folder of such files, batch by
batch (a seeded shuffle of the row groups, record batches or files); the model's Encoder types and encodes
each batch exactly as the in-memory reader does (columns.encode). Each row goes to the test, validation or
training part by a stable hash of what the reader made of it (row_hash), so a later `evaluate --held-out`
finds the same test rows without a list of them. fit_stream computes what the in-memory path fits on whole
arrays in one pass: the categories and classes, and the scalers' statistics on the training rows.
"""

import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError, DataError
from .encoder import MAX_CATEGORIES, Encoder
from .files import check_regular, gzipped
from .preprocessing import Scaler
from .rows import TEST, TRAIN, VALIDATION, combine, digests, number_bits, parts

BATCH_ROWS = 1 << 14  # rows a batch is read in: its memory, not the table's, is what a pass holds
CSV_BLOCK = 1 << 22  # bytes of CSV text pyarrow parses at a time


class TableStream:
    """A table on disk read batch by batch: a CSV (plain or .gz), Parquet or Feather/Arrow IPC file, or a folder
    of files of one of those formats with the same columns."""

    def __init__(self, path, header=True):
        from . import tables
        self.path = os.fspath(path)
        if not os.path.exists(self.path):
            raise DataError(f"{self.path}: no such file")
        if os.path.isdir(self.path):
            self.files = sorted(os.path.join(root, f) for root, _, fs in os.walk(self.path) for f in fs
                                if not f.startswith((".", "_")))
            if not self.files:
                raise DataError(f"{self.path}: a folder with no data files in it; name a data file or a folder of "
                                "CSV, Parquet or Feather files")
        else:
            self.files = [self.path]
        for f in self.files:
            check_regular(f)
        kinds = {tables.format_of(f) for f in self.files}
        if len(kinds) > 1:
            raise DataError(f"{self.path}: the folder mixes file formats ({', '.join(sorted(kinds))}); keep one")
        self.kind = kinds.pop()
        self.header, self.decimal_comma, self._csv_types = header, False, None
        self._names_of = {tables.PARQUET: self._parquet_names, tables.IPC: self._ipc_names}.get(self.kind,
                                                                                                 self._csv_setup)
        self.names = self._names_of(self.files[0])
        tables.check_names(self.names, self.path)
        for f in self.files[1:]:
            if self._names_of(f) != self.names:
                raise DataError(f"{f}: its columns differ from those of {self.files[0]}; the files of a folder "
                                "share their columns")

    def _parquet_names(self, path):
        import pyarrow.parquet as pq
        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{path}: not a readable Parquet file ({str(exc)[:200]})") from None

    def _ipc_names(self, path):
        try:
            with pa.memory_map(path) as source:
                return list(pa.ipc.open_file(source).schema.names)
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{path}: not a readable Feather/Arrow file ({str(exc)[:200]})") from None

    def _csv_setup(self, path):
        """The delimiter, decimal mark and column names from the file's first bytes (as tables.read_arrow)."""
        import csv
        import gzip
        from . import tables
        compressed = gzipped(path)
        size = float("inf") if compressed else os.path.getsize(path)
        try:
            with (gzip.open(path, "rb") if compressed else open(path, "rb")) as f:
                head = tables.file_head(f, size)  # a header longer than the sample is read to its end
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a readable gzip file ({exc})") from None
        whole = len(head) < tables.SAMPLE or len(head) >= size
        text = tables._sample(head, path, whole)
        delimiter, decimal_comma = tables.sniff(text, whole)
        if path == self.files[0]:
            self.delimiter, self.decimal_comma = delimiter, decimal_comma
        first = next(csv.reader([text.splitlines()[0]], delimiter=delimiter), [])
        return [c.strip() for c in first] if self.header else [f"col{j + 1}" for j in range(len(first))]

    def batches(self, rng=None, text_columns=()):
        """Yields (RecordBatch, its file's name for messages, the message row of its first row); rng shuffles the
        order of the pieces read whole: row groups, record batches, files."""
        from . import tables
        pieces = {tables.PARQUET: self._parquet_pieces, tables.IPC: self._ipc_pieces}.get(self.kind)
        pieces = pieces() if pieces else [(self._csv_file, f, None) for f in self.files]
        for k in (range(len(pieces)) if rng is None else rng.permutation(len(pieces))):
            read, path, piece = pieces[k]
            for batch, row in read(path, piece, text_columns):
                yield batch, f"{path}: ", row

    def _parquet_pieces(self):
        """(reader, file, (row group, its first row)) of every row group of every file."""
        import pyarrow.parquet as pq
        pieces = []
        for path in self.files:
            meta = pq.ParquetFile(path).metadata
            starts = np.cumsum([0] + [meta.row_group(g).num_rows for g in range(meta.num_row_groups)])
            pieces += [(self._parquet_group, path, (g, int(starts[g]))) for g in range(meta.num_row_groups)]
        return pieces

    def _parquet_group(self, path, piece, text_columns):
        import pyarrow.parquet as pq
        group, row = piece
        for batch in pq.ParquetFile(path).iter_batches(BATCH_ROWS, row_groups=[group]):
            yield batch, row
            row += batch.num_rows

    def _ipc_pieces(self):
        """(reader, file, (record batch, its first row)) of every record batch of every file."""
        pieces = []
        for path in self.files:
            with pa.memory_map(path) as source:
                f = pa.ipc.open_file(source)
                rows = [f.get_record_batch(i).num_rows for i in range(f.num_record_batches)]
            starts = np.cumsum([0] + rows)
            pieces += [(self._ipc_batch, path, (i, int(starts[i]))) for i in range(len(rows))]
        return pieces

    def _ipc_batch(self, path, piece, text_columns):
        index, row = piece
        try:
            with pa.memory_map(path) as source:  # mapped: only the batch read is paged in
                batch = pa.ipc.open_file(source).get_record_batch(index)
                for start in range(0, batch.num_rows, BATCH_ROWS):
                    yield batch.slice(start, BATCH_ROWS), row + start
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{path}: not a readable Feather/Arrow file ({str(exc)[:200]})") from None

    def _csv_file(self, path, _, text_columns):
        """A CSV's rows in order: the column types are those of the first block read, kept for every later one."""
        import pyarrow.csv as pacsv
        from .tables import missing_spellings
        types = {c: pa.string() for c in text_columns}
        if self._csv_types is not None:
            types = {**self._csv_types, **types}
        source = pa.input_stream(path, compression="gzip" if gzipped(path) else None)
        try:
            reader = pacsv.open_csv(
                source, read_options=pacsv.ReadOptions(column_names=self.names, skip_rows=1 if self.header else 0,
                                                       block_size=CSV_BLOCK),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter),
                convert_options=pacsv.ConvertOptions(
                    null_values=missing_spellings(), strings_can_be_null=True, quoted_strings_can_be_null=True,
                    true_values=[], false_values=[], timestamp_parsers=[], column_types=types,
                    decimal_point="," if self.decimal_comma else "."))
        except (pa.ArrowInvalid, OSError) as exc:
            source.close()
            raise DataError(f"{path}: cannot read as CSV ({str(exc).splitlines()[0][:200]})") from None
        self._csv_types = {name: reader.schema.field(name).type for name in self.names}
        row = 2 if self.header else 1
        with source:
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except (pa.ArrowInvalid, OSError) as exc:
                    raise DataError(f"{path}: after row {row - 1}: {str(exc).splitlines()[0][:200]}") from None
                for start in range(0, batch.num_rows, BATCH_ROWS):
                    part = batch.slice(start, BATCH_ROWS)
                    yield part, row
                    row += part.num_rows


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


class _OnePass:
    """What fit_stream gathers batch by batch: categories (every row), and over the training rows the moments
    of the number columns and the count of each category, from which its one-hot column's statistics follow."""

    def __init__(self, features, max_categories):
        self.features, self.max_categories = features, max_categories
        self.categorical = None  # name -> bool, fixed by the first batch
        self.categories, self.counts = {}, {}  # name -> set of values; name -> {value: training rows}
        self.numbers = None
        self.parts = np.zeros(3, dtype=np.int64)

    def kinds(self, table, at):
        """Which features are categories; a column that is words in one batch and numbers in another is refused."""
        from .columns import is_categorical, is_text, text
        kinds = {name: is_categorical(table[name]) for name in self.features}
        if self.categorical is None:
            self.categorical = kinds
            self.numbers = _Moments(sum(not k for k in kinds.values()))

        def empty(column):  # no cell present: neither kind, and add() names its first missing cell
            return (text(column) if is_text(column.type) else column).null_count == len(column)
        mixed = next((n for n in self.features if kinds[n] != self.categorical[n] and not empty(table[n])), None)
        if mixed is not None:
            raise DataError(f"{at}column {mixed!r} holds numbers in some rows and words in others; fix the cells "
                            f"(or drop the column with --drop {mixed})")

    def add(self, table, y, at, first_line, decimal_comma, seed, test_split, validation_split):
        """Hash the batch's rows into parts; add its categories, and its training rows' statistics."""
        from . import columns as typing
        self.kinds(table, at)
        bits, numbers, indices = [], [], {}
        for name in self.features:
            column = table[name]
            if self.categorical[name]:
                values = typing.categories_of(column, name, at, self.max_categories)
                known = self.categories.setdefault(name, set())
                known.update(values)
                if len(known) > self.max_categories:
                    raise ConfigError(f"{at}column {name!r} holds more than {self.max_categories} distinct values "
                                      f"(--max-categories); drop it (--drop {name}) or raise --max-categories")
                cells = typing.text(column)
                typing.check_present(cells, name, at, first_line)
                index = np.asarray(pc.index_in(cells, value_set=pa.array(values, pa.string())).to_numpy(), np.int64)
                indices[name] = (values, index)
                bits.append(digests(tuple(values))[index])
            else:
                x = typing.as_numbers(column, name, at, first_line, decimal_comma)
                typing.check_present(x, name, at, first_line)
                numbers.append(np.asarray(x.to_numpy(), dtype=np.float64))
                bits.append(number_bits(numbers[-1]))
        part = parts(combine(bits, y, seed), test_split, validation_split)
        self.parts += np.bincount(part, minlength=3)
        train = part == TRAIN
        self.numbers.add(np.column_stack(numbers)[train] if numbers else np.empty((int(train.sum()), 0)))
        for name, (values, index) in indices.items():
            counts = self.counts.setdefault(name, {})
            for value, k in zip(values, np.bincount(index[train], minlength=len(values)).tolist()):
                counts[value] = counts.get(value, 0) + k
        return train

    def scaler(self, encoder, kind):
        """The input scaler, in the encoder's column order: a one-hot column of frequency p has mean p and
        variance p (1 - p); its minimum is 1 only where every training row holds that category."""
        n, numbers, stats, j = self.numbers.n, self.numbers, [], 0
        for name in encoder.columns:
            if name in encoder.categories:
                count = np.array([self.counts.get(name, {}).get(v, 0) for v in encoder.categories[name]], float)
                p = count / max(n, 1)
                stats += zip(p, p * (1 - p), (count == n).astype(float), (count > 0).astype(float))
            else:
                stats.append((numbers.mean[j], numbers.m2[j] / max(n, 1), numbers.low[j], numbers.high[j]))
                j += 1
        return Scaler.of_statistics(kind, *(map(np.array, zip(*stats)) if stats else [np.zeros(0)] * 4))


def fit_stream(stream, features, target, *, task="auto", scale="standard", seed=0, test_split=0.2,
               validation_split=0.0, max_categories=MAX_CATEGORIES):
    """A StreamFit from one pass over stream: the categories and classes from every row, the scaler's
    statistics from the training rows (a row's part is known in the pass: row_hash hashes a category by name)."""
    from . import columns as typing
    where = f"{stream.path}: "
    gathered, labels, target_moments = _OnePass(list(features), max_categories), set(), _Moments(1)
    for batch, at, first_line in stream.batches(text_columns=[target]):
        table = pa.Table.from_batches([batch])
        y = typing.target_values(table[target], target, at, first_line, max_categories)
        if task == "auto":
            task = "classification" if y.dtype.kind in "iuUSOb" else "regression"
        if task == "classification":
            labels.update(np.unique(y).tolist())
            if len(labels) > max_categories:
                raise ConfigError(f"{where}the target column {target!r} holds more than {max_categories} classes")
        train = gathered.add(table, y, at, first_line, stream.decimal_comma, seed, test_split, validation_split)
        if task == "regression":
            target_moments.add(y[train].astype(float).reshape(-1, 1))
    counts = gathered.parts
    if counts[TRAIN] == 0:
        raise ConfigError(f"{where}no rows left for training after --test-split {test_split:g} and "
                          f"--validation-split {validation_split:g}")
    classes = None
    if task == "classification":
        classes = sorted(labels)
        if len(classes) < 2:
            raise DataError(f"{where}the target has a single class ({classes[0]!r}); classification needs two")
    encoder = Encoder(list(features), {c: sorted(v) for c, v in gathered.categories.items()}, {})
    target_scaler = Scaler()
    if task == "regression":
        t = target_moments
        target_scaler = Scaler.of_statistics("standard", t.mean, t.m2 / max(t.n, 1), t.low, t.high)
    return StreamFit(encoder, gathered.scaler(encoder, scale), task, classes, target_scaler,
                     {"test": int(counts[TEST]), "validation": int(counts[VALIDATION]), "train": int(counts[TRAIN])})
