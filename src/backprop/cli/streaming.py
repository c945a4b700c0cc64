"""`train`, `predict` and `evaluate` on a table read from disk batch by batch (data.stream), for tables
larger than memory: --stream, or on their own when the data would not fit. Here: the rule, the RowSource
the three read the rows through, predict and evaluate; train's run is cli/streamed_run.py.

The rule for on-their-own: a table streams when its decoded float64 size (rows x columns x 8 bytes; a
CSV's estimated as its file size, about 8 bytes of text a cell, and GZIP_RATIO times that for a .gz file)
times IN_MEMORY_COPIES is more than half the memory available (MemAvailable of /proc/meminfo).
--stream and --no-stream override it.
"""

import csv
import os
import sys
import tempfile

import numpy as np

from ..checks import as_targets
from ..data.columns import target_values
from ..data.files import gzipped
from ..data.rows import OLD_SPLIT, SPLIT, TEST, TRAIN, VALIDATION, parts, row_hash
from ..data.stream import TableStream
from ..data.tables import PARQUET, format_of
from ..errors import ConfigError
from ..io import current_umask, signals_held
from ..metrics import Metrics
from ..training.streaming import StreamedData

IN_MEMORY_COPIES = 6  # the in-memory path's peak over the float64 data: raw, split, scaled, batches
CHUNK_ROWS = 1 << 16  # rows of the shuffle buffer: one chunk of mini-batches
GZIP_RATIO = 4  # a CSV of numbers compresses about this many times over


def available_memory():
    """Bytes of memory available to a new allocation (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def decoded_bytes(path):
    """The float64 size of a table file or folder: rows x columns x 8 from Parquet metadata, a file's size
    otherwise (GZIP_RATIO times it for a .gz CSV)."""
    files = [os.path.join(r, f) for r, _, fs in os.walk(path) for f in fs] if os.path.isdir(path) else [path]
    total = 0
    for f in files:
        if not os.path.isfile(f):  # a FIFO or device: opening it could wait forever; the reader refuses it
            continue
        total += _parquet_bytes(f) if format_of(f) == PARQUET else \
            os.path.getsize(f) * (GZIP_RATIO if gzipped(f) else 1)
    return total


def _parquet_bytes(path):
    """rows x columns x 8 from a Parquet file's metadata; its size where it has none (the reader says why)."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # as in data/tables.py: pyarrow's Parquet reader loads where one is read
    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError):
        return os.path.getsize(path)
    return meta.num_rows * meta.num_columns * 8


def wants_stream(flag, source):
    """True for --stream; False for --no-stream; otherwise the rule of this module's docstring."""
    if flag is not None:
        return flag
    if not isinstance(source, str) or not os.path.exists(source) or source.lower().endswith(".npz"):
        return False
    available = available_memory()
    return available is not None and decoded_bytes(source) * IN_MEMORY_COPIES > available / 2


def open_stream(source, header=True):
    """The TableStream of source, a table file or folder; anything else refused naming --stream."""
    if not isinstance(source, str) or not os.path.exists(source):
        raise ConfigError(f"--stream reads a CSV, Parquet or Feather file (or a folder of them); {source!r} is not one")
    return TableStream(source, header)


# ---- the rows of a stream, as a model reads them -------------------------------------------------------
class RowSource:
    """A stream's rows as a model reads them: encoded, scaled, and sorted into test, validation and training."""

    def __init__(self, stream, model, target, seed, test_split, validation_split):
        self.stream, self.model, self.target = stream, model, target
        self.seed, self.test_split, self.validation_split = seed, test_split, validation_split

    def batches(self, rng=None, has_target=True):
        """Yields (X encoded (m, width), y raw or None, part (m,), batch, first line) for each batch."""
        encoder = self.model.encoder
        text = [self.target] if has_target else []
        for batch, where, first_line in self.stream.batches(rng, text_columns=text):
            X = encoder.transform(batch, where, first_line, self.stream.decimal_comma)
            if not has_target:
                yield X, None, None, batch, first_line
                continue
            y = target_values(batch.column(self.target), self.target, where, first_line)
            part = parts(row_hash(X, y, self.seed, encoder), self.test_split, self.validation_split)
            yield X, y, part, batch, first_line

    def arrays(self, X, y, net):
        """(inputs (m, n_0), targets (m, n_L)) in the network's dtype."""
        targets = self.model.targets(y)
        return (np.asarray(self.model.inputs(X), net.dtype),
                as_targets(targets, len(targets), net.sizes[-1], net.dtype))

    def training_data(self, net, options, n_train):
        """A StreamedData over the training rows (and the validation rows, if any)."""
        batch_size = options.batch_size or CHUNK_ROWS
        chunk_rows = max(batch_size, CHUNK_ROWS // batch_size * batch_size)  # whole mini-batches

        def chunks(epoch, rng):
            """A shuffle buffer: batches in a seeded row-group order, cut into whole mini-batches."""
            held_X, held_Y = [], []
            for X, y, part, _, _ in self.batches(rng):
                keep = part == TRAIN
                if keep.any():
                    inputs, targets = self.arrays(X[keep], y[keep], net)
                    held_X.append(inputs)
                    held_Y.append(targets)
                if sum(len(x) for x in held_X) >= chunk_rows:
                    X_all, Y_all = np.concatenate(held_X), np.concatenate(held_Y)
                    cut = len(X_all) // batch_size * batch_size
                    yield X_all[:cut], Y_all[:cut]
                    held_X, held_Y = [X_all[cut:]], [Y_all[cut:]]
            if held_X and sum(len(x) for x in held_X):
                yield np.concatenate(held_X), np.concatenate(held_Y)

        def validation_chunks():
            for X, y, part, _, _ in self.batches():
                keep = part == VALIDATION
                if keep.any():
                    yield self.arrays(X[keep], y[keep], net)
        return StreamedData(chunks, n_train, batch_size,
                            self.model.task == "classification",
                            validation_chunks if self.validation_split else None, options.shuffle, options.seed)

    def metrics(self, wanted):
        """metrics.Metrics over the rows whose part wanted(part) selects."""
        metrics = Metrics(self.model)
        for X, y, part, _, _ in self.batches():
            keep = wanted(part)
            if keep.any():
                metrics.add(X[keep], y[keep])
        return metrics


# ---- predict and evaluate ---------------------------------------------------------------------------
def predict_streamed(model, source, out, proba, header=True):
    """Write the predictions for every row of source to out (CSV; None: standard output) batch by batch;
    returns the count.

    The rows go to a temporary file beside out, renamed over it at the end: an interrupted run leaves
    nothing at out. Signals are held only for the rename, so Ctrl-C stops a long run at once.
    """
    if not model.encoder.active:
        raise ConfigError("--stream predicts with a model trained on a table (CSV, Parquet or Feather); "
                          "this one was not")
    rows = RowSource(open_stream(source, header), model, None, 0, 0.0, 0.0)
    count = 0

    def write(f):
        nonlocal count
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([model.target_name or "prediction"] + ([f"p_{c}" for c in model.classes] if proba else []))
        for X, _, _, _, _ in rows.batches(has_target=False):
            labels = np.asarray(model.predict_labels(X)).reshape(len(X), -1).astype(str)
            if proba:
                labels = np.hstack([labels, np.char.mod("%.6f", model.predict_output(X))])
            writer.writerows(labels.tolist())
            count += len(X)
    if out is None:
        write(sys.stdout)
    else:
        write_incrementally(out, write)
    return count


def write_incrementally(path, write):
    """Call write(text file) on a temporary file beside path, then rename it over path; removed on any failure."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ConfigError(f"cannot write {path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.splitext(path)[1])
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            os.fchmod(f.fileno(), 0o666 & ~current_umask())
            write(f)
            f.flush()
            os.fsync(f.fileno())
        with signals_held():
            os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def evaluate_streamed(model, source, target, held_out, header=True):
    """(metrics.Metrics, rows scored, rows read) over source's rows, or its held-out rows by the row hash."""
    data = model.data or {}
    if not model.encoder.active:
        raise ConfigError("--stream evaluates a model trained on a table (CSV, Parquet or Feather); this one was not")
    if held_out and data.get("split") not in (SPLIT, OLD_SPLIT):
        raise ConfigError("--held-out with --stream needs a model trained with --stream (its test rows are "
                          "found by a hash of each row); leave out --stream")
    if held_out and data.get("split") == OLD_SPLIT and model.encoder.categories:
        raise ConfigError("this model was trained with --stream by an earlier backprop, whose hash of a row with "
                          "categories differs; train it again to score its held-out rows, or leave out --held-out")
    rows = RowSource(open_stream(source, header), model, target or model.target_name, data.get("seed", 0),
                     data.get("test_split", 0.0), 0.0)
    metrics, read = Metrics(model), 0
    for X, y, part, _, _ in rows.batches():
        read += len(X)
        keep = part == TEST if held_out else np.ones(len(X), bool)
        if keep.any():
            metrics.add(X[keep], y[keep])
    return metrics, metrics.n, read
