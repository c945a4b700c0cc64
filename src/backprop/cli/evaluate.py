"""`backprop evaluate`: how well a saved model does on labelled data, and the metrics train prints."""

import numpy as np

from ..data.sources import load_source, split
from ..errors import ConfigError
from .common import load_model


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


def register(sub):
    p = sub.add_parser("evaluate", help="accuracy and confusion matrix, or MSE, MAE and R^2")
    p.add_argument("model", help="a model file (.npz) written by backprop")
    p.add_argument("--data", required=True, help="a built-in data set, CSV or NPZ with a target column")
    p.add_argument("--target", help="the target column of a CSV, by name or index (default: the last)")
    p.set_defaults(run=run)


def run(args):
    model = load_model(args.model)
    dataset = load_source(args.data, args.target, model.data.get("seed", 0))
    if dataset.y is None:
        raise ConfigError(f"{args.data}: evaluate needs a target column")
    X, y = dataset.X, dataset.y
    if args.data == model.data.get("data") and not model.data.get("test_data"):  # the held-out part only
        _, X, _, y = split(dataset, model.task, model.data.get("test_split", 0.2), model.data.get("seed", 0))
    print(evaluation(model, X, y)["summary"])
    return 0
