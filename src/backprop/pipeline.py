"""From a data source to arrays a network trains on, and back: tasks, labels, scaling, splits.

The command-line tool uses this module; it keeps everything a saved model needs to turn raw
rows into inputs (the feature scaler, the class labels, the target scaler) in one Model object.
"""

import os
from dataclasses import dataclass, field

import numpy as np

from . import data, datasets
from .errors import ConfigError, DataError
from .preprocessing import Scaler, encode_labels, train_test_split

TASKS = ("auto", "classification", "regression")


@dataclass
class Dataset:
    """Raw arrays and what is known about them."""

    X: np.ndarray
    y: np.ndarray | None
    name: str
    feature_names: list = field(default_factory=list)
    target_name: str | None = None
    task: str | None = None              # known for built-in sets
    X_test: np.ndarray | None = None     # a predefined test set (MNIST's t10k files)
    y_test: np.ndarray | None = None


def load_source(source, target=None, seed=0, has_target=True):
    """A Dataset from a built-in name, 'mnist:DIR', a .csv file or an .npz file."""
    if source in datasets.NAMES:
        X, y, names, _, task = datasets.load(source, seed=seed)
        return Dataset(X, y, source, names, "target", task)
    if source.startswith("mnist:"):
        (X, y), (X_test, y_test) = data.read_mnist(source[len("mnist:"):])
        names = [f"pixel{i}" for i in range(X.shape[1])]
        return Dataset(X, y, source, names, "label", "classification", X_test, y_test)
    if source.lower().endswith(".npz"):
        X, y = data.read_npz(source)
        return Dataset(X, y, source, [f"x{i + 1}" for i in range(X.shape[1])], "y")
    if not os.path.exists(source):
        raise DataError(f"{source}: no such file, and not a built-in data set ({', '.join(datasets.NAMES)})")
    X, y, names, target_name = data.read_csv(source, target, has_target=has_target)
    return Dataset(X, y, source, names, target_name)


def infer_task(y, task="auto", known=None):
    """classification for integer or string labels, regression for real values (unless told)."""
    if task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; choose one of: {', '.join(TASKS)}")
    if task != "auto":
        return task
    if known:
        return known
    return "classification" if y.dtype.kind in "iuUSOb" and y.ndim == 1 else "regression"


@dataclass
class Model:
    """A trained network plus what maps raw data to its inputs and its outputs back to labels."""

    network: object
    task: str
    classes: list | None = None
    scaler: Scaler = field(default_factory=Scaler)
    target_scaler: Scaler = field(default_factory=Scaler)
    feature_names: list = field(default_factory=list)
    target_name: str | None = None
    data: dict = field(default_factory=dict)   # where the training data came from, and the split

    def inputs(self, X):
        """Scaled inputs for the network, after checking the feature count."""
        n = self.network.sizes[0]
        if X.shape[1] != n:
            names = f" ({', '.join(self.feature_names[:6])}{', ...' if n > 6 else ''})" if self.feature_names else ""
            raise DataError(f"the data have {X.shape[1]} features but the model takes {n}{names}")
        return self.scaler.transform(X)

    def targets(self, y):
        """Targets for the network: class indices, or scaled real values as a column block."""
        if self.task == "classification":
            return encode_labels(y, np.asarray(self.classes))[0]
        y = np.asarray(y, dtype=float)
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        return self.target_scaler.transform(y)

    def predict_output(self, X):
        """The network's outputs for raw X: class probabilities, or values in the target's units."""
        out = self.network.predict(self.inputs(X))
        if self.task == "regression" and self.target_scaler.kind != "none":
            out = out * self.target_scaler.scale + self.target_scaler.center
        return out

    def predict_labels(self, X):
        """Predicted labels in the original names (classification) or values (regression)."""
        out = self.predict_output(X)
        if self.task == "regression":
            return out[:, 0] if out.shape[1] == 1 else out
        index = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0.5).astype(int)
        return np.asarray(self.classes)[index]

    def metadata(self):
        return {"task": self.task, "classes": None if self.classes is None else [_plain(c) for c in self.classes],
                "scaler": self.scaler.to_dict(), "target_scaler": self.target_scaler.to_dict(),
                "feature_names": list(self.feature_names), "target_name": self.target_name, "data": self.data}

    @classmethod
    def from_metadata(cls, network, meta):
        return cls(network, meta.get("task", "regression"), meta.get("classes"), Scaler.from_dict(meta["scaler"]),
                   Scaler.from_dict(meta.get("target_scaler", {"kind": "none"})), meta.get("feature_names", []),
                   meta.get("target_name"), meta.get("data", {}))


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def split(dataset, task, test_split, seed, test_source=None, target=None):
    """(X_train, X_test, y_train, y_test) from a held-out file, a predefined test set, or a seeded split."""
    if test_source is not None:
        test = load_source(test_source, target, seed)
        if test.X.shape[1] != dataset.X.shape[1]:
            raise DataError(f"{test_source}: {test.X.shape[1]} features, "
                            f"but the training data have {dataset.X.shape[1]}")
        return dataset.X, test.X, dataset.y, test.y
    if dataset.X_test is not None:
        return dataset.X, dataset.X_test, dataset.y, dataset.y_test
    if test_split == 0:
        return dataset.X, dataset.X[:0], dataset.y, dataset.y[:0]
    return train_test_split(dataset.X, dataset.y, test_split, seed, stratify=task == "classification")
