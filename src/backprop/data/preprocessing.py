"""Preparing data for a network: label encoding, feature scaling, train/test splits."""

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, DataError
from ..tasks import TASKS  # noqa: F401 (what a model does, by the task rule; task="auto" lets infer_task choose)

SCALES = ("standard", "minmax", "none")


@dataclass
class Scaler:
    """x' = (x - center) / scale per feature, fitted on the training data and stored in the model."""

    kind: str = "none"
    center: np.ndarray | None = None
    scale: np.ndarray | None = None

    @classmethod
    def fit(cls, X, kind):
        """A scaler fitted on X (n, d): standard (mean 0, std 1), minmax ([0, 1]) or none."""
        if kind not in SCALES:
            raise ConfigError(f"unknown scale {kind!r}; choose one of: {', '.join(SCALES)}")
        if kind == "none":
            return cls("none")
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, in words
            if kind == "standard":
                center, scale = X.mean(axis=0), X.std(axis=0)
            else:
                center, scale = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
        if not (np.isfinite(center).all() and np.isfinite(scale).all()):
            bad = int(np.flatnonzero(~(np.isfinite(center) & np.isfinite(scale)))[0])
            raise DataError(f"feature {bad + 1} holds values too large to scale (up to {np.abs(X[:, bad]).max():.3g}); "
                            "rescale that column before training")
        return cls.of(kind, center, scale)

    @classmethod
    def of_statistics(cls, kind, mean, variance, low, high):
        """The scaler fit gives for columns (each statistic (d,)) whose data are seen in pieces, never whole."""
        if kind == "none":
            return cls("none")
        return cls.of(kind, *((mean, np.sqrt(variance)) if kind == "standard" else (low, high - low)))

    @classmethod
    def of(cls, kind, center, scale):
        return cls(kind, center, np.where(scale > 0, scale, 1.0))  # constant features stay put

    def transform(self, X):
        """The scaled copy of X (n, d)."""
        if self.kind == "none":
            return np.asarray(X, dtype=float)
        if X.shape[1] != self.center.shape[0]:
            raise DataError(f"the data have {X.shape[1]} features but the model was trained on {self.center.shape[0]}")
        out = X - self.center  # one new array, divided in place: no second temporary of X's size
        out /= self.scale
        return out

    def to_dict(self):
        return {"kind": self.kind, "center": None if self.center is None else self.center.tolist(),
                "scale": None if self.scale is None else self.scale.tolist()}

    @classmethod
    def from_dict(cls, d):
        return cls(d["kind"], None if d.get("center") is None else np.asarray(d["center"], dtype=float),
                   None if d.get("scale") is None else np.asarray(d["scale"], dtype=float))


def encode_labels(y, classes=None):
    """(indices (n,), classes): y mapped to 0..k-1 by sorted class; with classes given, unseen labels are an error."""
    if classes is None:
        classes = np.unique(y)
        if len(classes) < 2:
            raise DataError(f"the target has a single class ({classes[0].item()!r}); classification needs at least two")
        return np.searchsorted(classes, y), classes
    classes = np.asarray(classes)
    y = np.asarray(y)
    if classes.dtype.kind in "iu" and y.dtype.kind in "iuf":  # integer classes, labels read as numbers
        fractional = y.dtype.kind == "f" and not np.array_equal(y, np.round(y))
        if fractional:  # 0.5 is no class; truncating it to 0 would score a wrong label as right
            bad = y[y != np.round(y)][:5].tolist()
            raise DataError(f"labels {', '.join(map(repr, bad))} are not whole numbers; the training classes "
                            f"are {', '.join(map(str, classes.tolist()))}")
        y = y.astype(classes.dtype)
    try:  # each label's place among the classes, looked up by binary search over the sorted classes
        order = np.argsort(classes, kind="stable")
        index = order[np.minimum(np.searchsorted(classes, y, sorter=order), len(classes) - 1)]
        known = np.asarray(classes[index] == y, dtype=bool).reshape(len(y))
    except TypeError:  # labels of several types that cannot be ordered (words among numbers): one by one
        lookup = {c: i for i, c in enumerate(classes.tolist())}
        index = np.array([lookup.get(v, 0) for v in y.tolist()], dtype=np.int64)
        known = np.array([v in lookup for v in y.tolist()], dtype=bool)
    if not known.all():
        unknown = sorted(set(y[~known].tolist()), key=str)
        raise DataError(f"labels {', '.join(map(repr, unknown[:5]))} were not among the training classes "
                        f"({', '.join(map(str, classes.tolist()))})")
    return index.astype(np.int64), classes


def train_test_split(X, y, test_fraction, seed, stratify=True):
    """(X_train, X_test, y_train, y_test), seeded; stratified by class where y holds labels."""
    n = X.shape[0]
    if not 0 < test_fraction < 1:
        raise ConfigError(f"--test-split must lie strictly between 0 and 1, got {test_fraction}")
    rng = np.random.default_rng(seed)
    held = np.zeros(n, dtype=bool)
    if stratify:
        _, label = np.unique(y, return_inverse=True)  # classes in sorted order, as the permutations below take them
        for k in range(label.max() + 1):
            members = rng.permutation(np.flatnonzero(label == k))
            held[members[:int(round(test_fraction * len(members)))]] = True
    else:
        held[rng.permutation(n)[:int(round(test_fraction * n))]] = True
    test, train = np.flatnonzero(held), np.flatnonzero(~held)
    if len(test) == 0 or len(train) == 0:
        raise DataError(f"{n} samples are too few to hold out a test fraction of {test_fraction}")
    return X[train], X[test], y[train], y[test]
