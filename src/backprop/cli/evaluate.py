"""`backprop evaluate`: how well a saved model does on labelled data, and the metrics train prints."""

import argparse

import numpy as np

from ..data.preprocessing import row_fingerprints
from ..data.sources import load_source
from ..errors import ConfigError
from .common import MODEL_HELP, load_model


def read_for(model, source, target=None, has_target=True):
    """The Dataset of source as the model reads it: a table's columns by name, encoded with the model's encoder."""
    if model.encoder.active:
        return load_source(source, target or model.target_name, 0, has_target=has_target,
                           columns=model.encoder.columns, encoder=model.encoder)
    return load_source(source, target, model.data.get("seed", 0), has_target=has_target)


def evaluation(model, X, y, what="test"):
    """Metrics of model on raw X, y: a dict with a printable 'summary'."""
    return Metrics(model).add(X, y).report(what)


class Metrics:
    """What a score needs, added batch by batch (a streamed table): the confusion matrix, or the sums of the
    squared and absolute errors and of the targets and their squares (for R^2)."""

    def __init__(self, model):
        self.model, self.n = model, 0
        k = len(model.classes) if model.task == "classification" else model.network.sizes[-1]
        self.confusion = np.zeros((k, k), dtype=np.int64)
        self.squared = self.absolute = 0.0
        self.sum_y, self.sum_y2 = np.zeros(k), np.zeros(k)

    def add(self, X, y):
        """Add the rows X (raw), y; returns self."""
        model, n = self.model, len(X)
        self.n += n
        if model.task == "regression":
            predicted = model.predict_output(X).reshape(n, -1)
            truth = np.asarray(y, float).reshape(n, -1)
            self.squared += float(((predicted - truth) ** 2).sum())
            self.absolute += float(np.abs(predicted - truth).sum())
            self.sum_y, self.sum_y2 = self.sum_y + truth.sum(axis=0), self.sum_y2 + (truth**2).sum(axis=0)
            return self
        truth = model.targets(y)
        output = model.predict_output(X)
        predicted = output.argmax(axis=1) if output.shape[1] > 1 else (output[:, 0] > 0.5).astype(int)
        np.add.at(self.confusion, (truth, predicted), 1)
        return self

    def report(self, what="test"):
        """A dict of the metrics with a printable 'summary'."""
        model, n = self.model, self.n
        if model.task == "regression":
            cells = n * len(self.sum_y)
            mse, mae = self.squared / cells, self.absolute / cells
            total = float((self.sum_y2 - self.sum_y**2 / max(n, 1)).sum())  # sum (y - mean y)^2
            r2 = 1 - self.squared / max(total, 1e-300)
            unit = f" {model.target_name}" if model.target_name else ""
            return {"mse": mse, "mae": mae, "r2": float(r2),
                    "summary": f"{what} MSE {mse:.4g}, MAE {mae:.4g}, R^2 {r2:.4f} ({n} samples; MSE and MAE in "
                               f"the target's own units{unit and ' of' + unit})"}
        confusion = self.confusion
        accuracy = float(np.trace(confusion) / n)
        lines = [f"{what} accuracy {accuracy:.2%} ({np.trace(confusion)} of {n})", "",
                 f"{'class':>12} {'precision':>9} {'recall':>7} {'support':>7}"]
        for i, c in enumerate(model.classes):
            precision = confusion[i, i] / max(confusion[:, i].sum(), 1)
            recall = confusion[i, i] / max(confusion[i].sum(), 1)
            lines.append(f"{str(c):>12} {precision:>9.3f} {recall:>7.3f} {confusion[i].sum():>7d}")
        lines += ["", "confusion matrix (rows: true, columns: predicted)"]
        lines += [" ".join(f"{v:>4d}" for v in row) for row in confusion]
        return {"accuracy": accuracy, "confusion": confusion, "summary": "\n".join(lines)}


def register(sub):
    p = sub.add_parser("evaluate", help="accuracy and confusion matrix, or MSE, MAE and R^2")
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--data", help="a built-in data set, CSV or NPZ with a target column; every row is scored "
                                  "(default: the data the model was trained on, with --held-out)")
    p.add_argument("--target", help="the target column of a CSV, by name or index "
                                    "(default: the model's target column, else the last)")
    p.add_argument("--held-out", action="store_true",
                   help="score only the rows the training run held out for its test, found by their content "
                        "(default: off, all rows)")
    p.add_argument("--stream", action=argparse.BooleanOptionalAction, default=None,
                   help="read the table from disk in batches instead of into memory (default: when it would not fit "
                        "in half the available memory, and for --held-out of a model trained with --stream)")
    p.set_defaults(run=run)


def run(args):
    model = load_model(args.model)
    source = args.data
    if source is None:
        if not args.held_out:
            raise ConfigError("evaluate needs --data FILE (all of its rows), or --held-out for the training run's "
                              "held-out rows")
        source = model.data.get("test_data") or model.data.get("data")
        if source is None:
            raise ConfigError(f"{args.model} does not record its training data; pass --data FILE")
    from .streaming import evaluate_streamed, wants_stream
    if wants_stream(args.stream, source) or (args.held_out and args.stream is not False
                                             and model.data.get("split") == "row-hash"):
        metrics, scored, read = evaluate_streamed(model, source, args.target, args.held_out)
        if args.held_out:
            print(f"scoring the {scored} rows of {source} that the training run held out ({scored} of {read} rows, "
                  "found by the hash of each row)")
            print(metrics.report("held-out")["summary"])
        else:
            print(f"scoring all {read} rows of {source}")
            print(metrics.report("")["summary"].lstrip())
        return 0
    dataset = read_for(model, source, args.target)
    if dataset.y is None:
        raise ConfigError(f"{source}: evaluate needs a target column")
    X, y = dataset.X, dataset.y
    if args.held_out:
        wanted = model.data.get("held_out")
        if not wanted:
            raise ConfigError(f"{args.model} records no held-out rows (trained without a test split); "
                              "leave out --held-out to score all rows")
        keep = np.isin(row_fingerprints(X, y), wanted)
        if not keep.any():
            raise ConfigError(f"{source}: none of its {len(X)} rows is among the {len(wanted)} rows the training "
                              "run held out; leave out --held-out to score all rows")
        X, y = X[keep], y[keep]
        print(f"scoring the {len(X)} rows of {source} that the training run held out "
              f"({len(X)} of {len(keep)} rows; the run held out {len(wanted)})")
        print(evaluation(model, X, y, "held-out")["summary"])
    else:
        print(f"scoring all {len(X)} rows of {source}")
        print(evaluation(model, X, y, "")["summary"].lstrip())
    return 0
