"""How well a model does on labelled rows: accuracy, per-class precision and recall and the confusion
matrix (classification), or MSE, MAE and R^2 in the target's own units (regression)."""

import numpy as np

from .tasks import class_indices


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
    predicted = class_indices(output)
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
