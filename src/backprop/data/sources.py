"""From a named data source (a built-in set, a CSV, an NPZ, MNIST) to raw arrays, a task and splits."""

import os
from dataclasses import dataclass, field

import numpy as np

from . import datasets, files, tables
from ..errors import ConfigError, DataError
from .preprocessing import TASKS, train_test_split



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
    encoder: object = None               # tables.Encoder when X holds raw cells (strings, chosen columns)


def load_source(source, target=None, seed=0, has_target=True, features=None, drop=None, impute="none"):
    """A Dataset from a built-in name, 'mnist:DIR', a .csv file or an .npz file.

    features/drop choose a CSV's columns and impute fills its missing cells; a CSV with string feature
    columns is read as raw cells with an Encoder (backprop.data.tables) that one-hot encodes them.
    """
    table_options = bool(features or drop or impute != "none")
    if table_options and not source.lower().endswith(".csv"):
        raise ConfigError("--features, --drop and --impute apply to CSV files only")
    if source in datasets.NAMES:
        X, y, names, _, task = datasets.load(source, seed=seed)
        return Dataset(X, y, source, names, "target", task)
    if source.startswith("mnist:"):
        (X, y), (X_test, y_test) = files.read_mnist(source[len("mnist:"):])
        names = [f"pixel{i}" for i in range(X.shape[1])]
        return Dataset(X, y, source, names, "label", "classification", X_test, y_test)
    if source.lower().endswith(".npz"):
        X, y = files.read_npz(source)
        return Dataset(X, y, source, [f"x{i + 1}" for i in range(X.shape[1])], "y")
    if not os.path.exists(source):
        raise DataError(f"{source}: no such file, and not a built-in data set ({', '.join(datasets.NAMES)})")
    files.check_regular(source)  # a FIFO or a device would hang or never end
    if table_options:
        return _table(source, target, features, drop, impute, has_target)
    try:
        X, y, names, target_name = files.read_csv(source, target, has_target=has_target)
    except DataError as first:  # a string feature column or a missing cell: read it as a table
        try:
            return _table(source, target, features, drop, impute, has_target)
        except tables.MissingValue:
            raise
        except (DataError, ConfigError):
            raise first from None
    return Dataset(X, y, source, names, target_name)


def _table(source, target, features, drop, impute, has_target):
    X, y, names, target_name, encoder = tables.read_table(source, target, features, drop, impute, has_target)
    return Dataset(X, y, source, names, target_name, encoder=encoder)


def infer_task(y, task="auto", known=None):
    """classification for integer or string labels, regression for real values (unless told)."""
    if task != "auto" and task not in TASKS:
        raise ConfigError(f"unknown task {task!r}; choose one of: auto, {', '.join(TASKS)}")
    if task != "auto":
        return task
    if known:
        return known
    return "classification" if y.dtype.kind in "iuUSOb" and y.ndim == 1 else "regression"


def check_task(y, task):
    """Refuse a task the targets cannot be: real values, or nearly one class per sample, are not class labels."""
    if task != "classification" or y is None or y.ndim != 1:
        return
    if y.dtype.kind == "f" and not np.all(np.mod(y, 1) == 0):
        raise ConfigError(f"--task classification needs class labels, but the target holds real values such as "
                          f"{y[np.mod(y, 1) != 0][0]:g}; use --task regression (or auto)")
    k = len(np.unique(y))
    if y.dtype.kind in "iuf" and k > max(50, len(y) / 5):
        raise ConfigError(f"--task classification: the target has {k} distinct values in {len(y)} samples, which "
                          "looks like a real-valued target, not class labels; use --task regression (or auto)")


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
