"""The `backprop evaluate` and `backprop predict` commands, and the metrics they print."""

import os
import sys

import numpy as np

from . import io as model_io
from .errors import ConfigError


def evaluation(model, X, y):
    """Metrics of model on raw X, y: a dict with a printable 'summary'."""
    if model.task == "regression":
        predicted = model.predict_output(X).reshape(len(X), -1)
        truth = np.asarray(y, float).reshape(len(X), -1)
        mse, mae = float(((predicted - truth) ** 2).mean()), float(np.abs(predicted - truth).mean())
        r2 = 1 - ((predicted - truth) ** 2).sum() / max(((truth - truth.mean(axis=0)) ** 2).sum(), 1e-300)
        return {"mse": mse, "mae": mae, "r2": float(r2),
                "summary": f"test MSE {mse:.4g}, MAE {mae:.4g}, R^2 {r2:.4f} ({len(X)} samples)"}
    truth = model.targets(y)
    output = model.predict_output(X)
    predicted = output.argmax(axis=1) if output.shape[1] > 1 else (output[:, 0] > 0.5).astype(int)
    k = len(model.classes)
    confusion = np.zeros((k, k), dtype=np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    accuracy = float(np.trace(confusion) / len(X))
    lines = [f"test accuracy {accuracy:.2%} ({np.trace(confusion)} of {len(X)})", "",
             f"{'class':>12} {'precision':>9} {'recall':>7} {'support':>7}"]
    for i, c in enumerate(model.classes):
        precision = confusion[i, i] / max(confusion[:, i].sum(), 1)
        recall = confusion[i, i] / max(confusion[i].sum(), 1)
        lines.append(f"{str(c):>12} {precision:>9.3f} {recall:>7.3f} {confusion[i].sum():>7d}")
    lines += ["", "confusion matrix (rows: true, columns: predicted)"]
    lines += [" ".join(f"{v:>4d}" for v in row) for row in confusion]
    return {"accuracy": accuracy, "confusion": confusion, "summary": "\n".join(lines)}


def _load_model(path):
    from .pipeline import Model
    net, meta = model_io.load(path)
    return Model.from_metadata(net, meta)


def cmd_evaluate(args):
    from .pipeline import load_source, split
    model = _load_model(args.model)
    dataset = load_source(args.data, args.target, model.data.get("seed", 0))
    if dataset.y is None:
        raise ConfigError(f"{args.data}: evaluate needs a target column")
    X, y = dataset.X, dataset.y
    if args.data == model.data.get("data") and not model.data.get("test_data"):  # the held-out part only
        _, X, _, y = split(dataset, model.task, model.data.get("test_split", 0.2), model.data.get("seed", 0))
    print(evaluation(model, X, y)["summary"])
    return 0


def cmd_predict(args):
    from .pipeline import load_source
    model = _load_model(args.model)
    n = model.network.sizes[0]
    from .errors import DataError
    try:
        dataset = load_source(args.data, args.target, 0, has_target=args.target is not None)
        has_extra = dataset.X.shape[1] == n + 1
    except DataError:
        dataset, has_extra = None, True
    if has_extra and args.target is None and args.data.lower().endswith(".csv"):
        try:  # a file with a target column as well: leave it out (by the model's target name, else the last)
            dataset = load_source(args.data, model.target_name, 0)
        except DataError:
            dataset = load_source(args.data, None, 0) if dataset is None else dataset
    labels = model.predict_labels(dataset.X)
    header = [model.target_name or "prediction"]
    columns = [labels.reshape(len(labels), -1)]
    if args.proba and model.task == "classification":
        header += [f"p_{c}" for c in model.classes]
        columns.append(np.char.mod("%.6f", model.predict_output(dataset.X)))
    rows = np.hstack([c.astype(str) for c in columns])
    text = ",".join(header) + "\n" + "".join(",".join(r) + "\n" for r in rows)
    if args.out:
        folder = os.path.dirname(os.path.abspath(args.out))
        if not os.path.isdir(folder):
            raise ConfigError(f"cannot write {args.out}: the folder {folder} does not exist")
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, args.out)
        print(f"wrote {len(rows)} predictions to {args.out}")
    else:
        sys.stdout.write(text)
    return 0

