"""From a named data source (a built-in set, a table file or DataFrame, an NPZ, MNIST) to arrays, a task and splits."""

import os
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import datasets, files, frames
from .encoder import MAX_CATEGORIES, Encoder
from ..errors import ConfigError, DataError
from ..tasks import TASKS
from .preprocessing import train_test_split



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
    encoder: object = None               # columns.Encoder of a table: X holds its encoded inputs


def load_source(source, target=None, seed=0, has_target=True, features=None, drop=None, impute="none",
                header=True, max_categories=MAX_CATEGORIES, columns=None, encoder=None):
    """A Dataset from a built-in name, 'mnist:DIR', an .npz file, or a table (CSV, Parquet, Feather, a folder).

    A table is read by read_table: X its encoded inputs, encoder what encodes them (Dataset.encoder);
    columns and encoder (a model's) read a table as that model reads it.
    """
    if (features or drop or impute != "none") and (source in datasets.NAMES or _not_a_table(source)):
        raise ConfigError("--features, --drop and --impute apply to tables (CSV, Parquet, Feather) only")
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
    X, y, encoder, target_name = read_table(source, target, has_target, features, drop, impute, header,
                                            max_categories, columns=columns, encoder=encoder)
    return Dataset(X, y, source, list(encoder.columns), target_name, encoder=encoder)


def _not_a_table(source):
    return source.startswith("mnist:") or source.lower().endswith(".npz")


def read_table(source, target=None, has_target=True, features=None, drop=None, impute="none", header=True,
               max_categories=MAX_CATEGORIES, name=None, columns=None, encoder=None):
    """(X (n, width) float64, y (n,) or None, Encoder, target name) from a table file, bytes or a DataFrame.

    target: the target column's name or index (default: the last column; has_target=False: none);
    features/drop choose the feature columns; columns (a model's) picks those by name, in that order,
    any others ignored; encoder (a model's) encodes with its categories instead of fitting new ones.
    """
    import pyarrow as pa

    from . import tables
    if frames.is_frame(source):
        read = tables.Read(frames.as_table(source), name or "the DataFrame", first_line=0)
    else:
        read = tables.read_arrow(source, header=header, name=name)
    table, where = read.table, read.where
    names = table.column_names
    if columns is not None:  # a model's columns, by name; any others (a target, ids) left out
        target = select(read.name, names, target=target)[1] if has_target else None
        if not set(columns) & set(names):
            table = _by_position(table, columns, target, where)
        chosen = list(frames.select(table, columns, where, warn=False).column_names)
    else:
        chosen, target = select(read.name, names, features, drop, target if has_target else False)
    y = None
    if target is not None:  # first: what the model file would refuse is refused before any encoding
        from .columns import past_int64, target_values
        if past_int64(table[target]) and not frames.is_frame(source):  # ids or codes: read again as text labels
            table = tables.read_arrow(source, header=header, name=name, text_columns=[target]).table
        y = target_values(table[target], target, where, read.first_line, max_categories)
    if encoder is None:
        encoder = Encoder.fit(table.select(chosen), impute, max_categories, where, read.first_line,
                              read.decimal_comma)
    X = encoder.transform(table, where, read.first_line, read.decimal_comma)
    del read, table
    pa.default_memory_pool().release_unused()  # the parsed text and columns: given back to the system now
    return X, y, encoder, target


def _by_position(table, columns, target, where):
    """table with its columns renamed to the model's, by position: a header that shares no name with them."""
    rest = [c for c in table.column_names if c != target]
    if target is None and len(rest) == len(columns) + 1:
        rest = rest[:-1]  # a last column beyond the model's: its target
    if len(rest) != len(columns):
        raise DataError(f"{where}the data have {len(rest)} features but the model takes {len(columns)} "
                        f"({', '.join(columns[:6])}{', ...' if len(columns) > 6 else ''})")
    warnings.warn(f"{where}none of the model's column names ({', '.join(columns[:6])}) is in the header; the "
                  "columns are read by position", RuntimeWarning, stacklevel=3)
    return table.select(rest).rename_columns(columns)


def select(path, names, features=None, drop=None, target=None):
    """(feature column names, target name or None) after --features/--drop; unknown names are errors."""
    def check(chosen, option):
        unknown = [c for c in chosen if c not in known]
        if unknown:
            raise ConfigError(f"{option}: {path} has no column {', '.join(map(repr, unknown))}; "
                              f"columns: {', '.join(names[:20])}{', ...' if len(names) > 20 else ''}")
        return chosen
    known = set(names)
    if target is False:
        target = None
    elif target is not None and str(target) not in known:
        try:
            target = names[int(target)]
        except (ValueError, IndexError):
            raise DataError(f"{path}: no column named {target!r}; columns: {', '.join(names[:20])}"
                            f"{', ...' if len(names) > 20 else ''}") from None
    elif target is None:
        target = names[-1]
    else:
        target = str(target)
    if features:
        chosen = check(list(features), "--features")
        if target in chosen:
            raise ConfigError(f"--features: {target!r} is the target column; it cannot be a feature too")
    else:
        chosen = [c for c in names if c != target]
    if drop:
        check(list(drop), "--drop")
        dropped = set(drop)
        chosen = [c for c in chosen if c not in dropped]
    if not chosen:
        raise ConfigError("no feature columns are left after --features/--drop")
    return chosen, target


def parse_columns(text):
    """['a', 'b'] from 'a,b' (None stays None)."""
    return None if text is None else [c.strip() for c in str(text).split(",") if c.strip()]


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
        encoder = dataset.encoder
        test = load_source(test_source, target, seed, columns=encoder and encoder.columns, encoder=encoder)
        if test.X.shape[1] != dataset.X.shape[1]:
            raise DataError(f"{test_source}: {test.X.shape[1]} features, "
                            f"but the training data have {dataset.X.shape[1]}")
        return dataset.X, test.X, dataset.y, test.y
    if dataset.X_test is not None:
        return dataset.X, dataset.X_test, dataset.y, dataset.y_test
    if test_split == 0:
        return dataset.X, dataset.X[:0], dataset.y, dataset.y[:0]
    return train_test_split(dataset.X, dataset.y, test_split, seed, stratify=task == "classification")
