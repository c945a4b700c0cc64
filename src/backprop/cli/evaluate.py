"""`backprop evaluate`: how well a saved model does on labelled data, and the metrics train prints."""

import numpy as np

from ..data.datasets import NAMES as BUILT_IN
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
    if model.task == "regression":
        predicted = model.predict_output(X).reshape(len(X), -1)
        truth = np.asarray(y, float).reshape(len(X), -1)
        mse, mae = float(((predicted - truth) ** 2).mean()), float(np.abs(predicted - truth).mean())
        r2 = 1 - ((predicted - truth) ** 2).sum() / max(((truth - truth.mean(axis=0)) ** 2).sum(), 1e-300)
        unit = f" {model.target_name}" if model.target_name else ""
        return {"mse": mse, "mae": mae, "r2": float(r2),
                "summary": f"{what} MSE {mse:.4g}, MAE {mae:.4g}, R^2 {r2:.4f} ({len(X)} samples; MSE and MAE in "
                           f"the target's own units{unit and ' of' + unit})"}
    truth = model.targets(y)
    output = model.predict_output(X)
    predicted = output.argmax(axis=1) if output.shape[1] > 1 else (output[:, 0] > 0.5).astype(int)
    k = len(model.classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    accuracy = float(np.trace(confusion) / len(X))
    lines = [f"{what} accuracy {accuracy:.2%} ({np.trace(confusion)} of {len(X)})", "",
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
        if source not in BUILT_IN:  # a path stored in a model file is never opened unless the user names it
            raise ConfigError(f"{args.model} was trained on {str(source)[:200]!r}; pass --data with that file to "
                              "score its held-out rows (backprop opens no path a model file names by itself)")
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
