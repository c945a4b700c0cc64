"""`train`, `predict` and `evaluate` on a table read from disk batch by batch (data.stream), for tables
larger than memory: --stream, or on their own when the data would not fit.

The rule for on-their-own: a table streams when its decoded float64 size (rows x columns x 8 bytes; a
CSV's estimated as its file size, about 8 bytes of text a cell, and GZIP_RATIO times that for a .gz file)
times IN_MEMORY_COPIES is more than half the memory available (MemAvailable of /proc/meminfo).
--stream and --no-stream override it.
"""

import csv
import os
import sys
from dataclasses import asdict

import numpy as np

from ..data.stream import OLD_SPLIT, SPLIT
from ..errors import ConfigError
from ..tasks import output_layer
from .common import say

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
    from ..data.tables import PARQUET, format_of
    files = [os.path.join(r, f) for r, _, fs in os.walk(path) for f in fs] if os.path.isdir(path) else [path]
    total = 0
    for f in files:
        if format_of(f) == PARQUET:
            import pyarrow.parquet as pq
            meta = pq.ParquetFile(f).metadata
            total += meta.num_rows * meta.num_columns * 8
        else:
            with open(f, "rb") as raw:
                compressed = raw.read(2) == b"\x1f\x8b"
            total += os.path.getsize(f) * (GZIP_RATIO if compressed else 1)
    return total


def wants_stream(flag, source):
    """True for --stream; False for --no-stream; otherwise the rule of this module's docstring."""
    if flag is not None:
        return flag
    if not isinstance(source, str) or not os.path.exists(source) or source.lower().endswith(".npz"):
        return False
    available = available_memory()
    return available is not None and decoded_bytes(source) * IN_MEMORY_COPIES > available / 2


def open_stream(source, header=True):
    from ..data.stream import TableStream
    if not isinstance(source, str) or not os.path.exists(source):
        raise ConfigError(f"--stream reads a CSV, Parquet or Feather file (or a folder of them); {source!r} is not one")
    return TableStream(source, header)


# ---- train --------------------------------------------------------------------------------------
def refuse_options(args, setup):
    """Options --stream does not support, refused before anything is read."""
    unsupported = [("--resume", args.resume), ("--plot", args.plot), ("--test-data", setup.test_data),
                   ("--impute", setup.impute != "none")]
    for flag, given in unsupported:
        if given:
            raise ConfigError(f"{flag} is not supported with --stream; leave it out (or pass --no-stream)")


def train_streamed(args, setup, options):
    """Train on setup.data read from disk each epoch; save the model; score the held-out rows."""
    from .. import io as model_io
    from ..data.sources import parse_columns, select
    from ..data.stream import fit_stream
    from ..model import Model
    from ..network import Network
    from .common import parse_layers
    from .training_run import new_run_folder, output_paths
    refuse_options(args, setup)
    stream = open_stream(setup.data, setup.header)
    features, target = select(setup.data, stream.names, parse_columns(setup.features), parse_columns(setup.drop),
                              setup.target)
    validation_split = options.validation_split or (0.1 if options.early_stopping else 0.0)
    fitted = fit_stream(stream, features, target, task=setup.task, scale=setup.scale, seed=options.seed,
                        test_split=setup.test_split, validation_split=validation_split,
                        max_categories=setup.max_categories)
    classes = fitted.classes
    n_out, output, cost = output_layer(fitted.task, len(classes or []) or 1, setup.output, setup.cost)
    net = Network([fitted.encoder.width, *parse_layers(setup.layers), n_out], activation=setup.activation,
                  output=output, cost=cost, seed=options.seed, dtype=setup.dtype)
    model = Model(net, fitted.task, classes, fitted.scaler, fitted.target_scaler, fitted.encoder.input_names(),
                  target, encoder=fitted.encoder)
    # No list of held-out rows: evaluate --held-out finds them again by the same hash of each row.
    model.data = {**asdict(setup), "held_out": None, "split": SPLIT, "seed": options.seed}
    model_io.to_bytes(net, **model.metadata())  # what the model file would refuse, refused before the first epoch
    rows = RowSource(stream, model, target, options.seed, setup.test_split, validation_split)
    data = rows.training_data(net, options, fitted.counts["train"])
    model_path, folder = output_paths(setup.out)
    created = model_path is None and not (folder and os.path.isdir(folder))
    if model_path is None:
        folder = new_run_folder(setup.data, folder)
        model_path = os.path.join(folder, "model.npz")
    try:
        return train_and_report(args, model, rows, data, fitted, options, model_path, folder)
    except BaseException:
        if created and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)  # a failed run leaves nothing behind
        raise


def train_and_report(args, model, rows, data, fitted, options, model_path, folder):
    """Train, save, score the test rows and draw the curves (and the confusion matrix)."""
    from .. import io as model_io
    from .. import plots
    from ..data.stream import TEST
    from ..training import Interrupted, ProgressBar, state_of, train
    from .progress import Checkpoint, EpochLines, say_stopped
    net = model.network
    save = lambda path: model_io.save(path, net, **model.metadata())  # noqa: E731
    callbacks = [] if args.quiet else [ProgressBar(), EpochLines()]
    if args.checkpoint:
        callbacks.append(Checkpoint(lambda: save(model_path), net))
    say(args, f"training {net} on {model.data['data']}, streamed from disk: {fitted.counts['train']} "
              f"training rows, {fitted.counts['validation']} validation, {fitted.counts['test']} test; {model.task}")
    try:
        history = train(net, data, None, callbacks=callbacks, options=options)
    except KeyboardInterrupt as exc:
        state = state_of(net)
        if state is None or not state.epochs_trained:
            print("interrupted before the first epoch ended; nothing saved", file=sys.stderr)
        else:
            save(model_path)
            print(f"interrupted: saved epoch {state.epochs_trained} to {model_path}", file=sys.stderr)
        return 128 + exc.signal if isinstance(exc, Interrupted) else 130
    say_stopped(args, history)
    save(model_path)
    report = None
    if fitted.counts["test"]:
        report = rows.metrics(lambda part: part == TEST).report("test")
        print(report["summary"].splitlines()[0] if args.quiet else report["summary"])
    if not args.no_plots:
        os.makedirs(folder, exist_ok=True)
        plots.curves(state_of(net).history, os.path.join(folder, "curves.png"), standardized=model.task == "regression")
        if report and "confusion" in report:
            plots.confusion(report["confusion"], model.classes, os.path.join(folder, "confusion.png"))
    print(f"model: {model_path}")
    return 0


class RowSource:
    """A stream's rows as a model reads them: encoded, scaled, and sorted into test, validation and training."""

    def __init__(self, stream, model, target, seed, test_split, validation_split):
        self.stream, self.model, self.target = stream, model, target
        self.seed, self.test_split, self.validation_split = seed, test_split, validation_split

    def batches(self, rng=None, has_target=True):
        """Yields (X encoded (m, width), y raw or None, part (m,), batch, first line) for each batch."""
        from ..data.columns import target_values
        from ..data.stream import parts, row_hash
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
        from ..checks import as_targets
        targets = self.model.targets(y)
        return (np.asarray(self.model.inputs(X), net.dtype),
                as_targets(targets, len(targets), net.sizes[-1], net.dtype))

    def training_data(self, net, options, n_train):
        """A StreamedData over the training rows (and the validation rows, if any)."""
        from ..data.stream import TRAIN, VALIDATION
        from ..training.streaming import StreamedData
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
        from ..metrics import Metrics
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
    import tempfile

    from ..io import current_umask, signals_held
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
    from ..data.stream import TEST
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
    from ..metrics import Metrics
    metrics, read = Metrics(model), 0
    for X, y, part, _, _ in rows.batches():
        read += len(X)
        keep = part == TEST if held_out else np.ones(len(X), bool)
        if keep.any():
            metrics.add(X[keep], y[keep])
    return metrics, metrics.n, read
