"""How well a model does on labelled rows: accuracy, per-class precision and recall and the confusion
matrix (classification), or MSE, MAE and R^2 in the target's own units (regression)."""

import numpy as np

from .tasks import class_indices


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
        predicted = class_indices(output)
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
