"""Real tables: choosing columns, one-hot encoding string (categorical) columns, missing values.

The numeric path stays in files.read_csv; both read the file with files.csv_rows and a target column
with files.target_values. This module reads a CSV's cells when a table needs more:
a string feature column, a missing value, or --features/--drop. The Encoder it fits is stored in the
model, so `predict` turns raw rows into the same inputs as training did.
"""

from dataclasses import dataclass, field

import numpy as np

from . import files
from ..errors import ConfigError, DataError

MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-"}
IMPUTE = ("none", "mean", "most_frequent")


def _number(cell):
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def is_missing(cell):
    return str(cell).strip().lower() in MISSING


def _check_numbers(name, column, missing, lines, where):
    """A column that mixes numbers and words, or holds inf, has typos, not categories: say where."""
    words = [i for i, c in enumerate(column) if not missing[i] and _number(c) is None]
    finite = int((~missing).sum()) - len(words)
    for i in words:
        try:
            float(column[i])  # inf, -inf: a number, but not a finite one
        except ValueError:
            continue
        raise DataError(f"{where}row {lines[i]}, column {name!r}: {column[i]} is not a finite number")
    if words and finite:
        i = words[0]
        raise DataError(f"{where}row {lines[i]}, column {name!r}: {column[i]!r} is not a number, in a column of "
                        f"numbers; fix the cell (or drop the column with --drop {name})")


class MissingValue(DataError):
    """A cell with no value, named by row and column."""


@dataclass
class Encoder:
    """Raw columns (numbers or strings) -> numeric inputs: numbers kept, categories one-hot, gaps filled.

    columns: the raw feature columns the model reads, in order; categories: {column: [category, ...]}
    for string columns; fill: {column: value} used for a missing cell (from --impute).
    """

    columns: list = field(default_factory=list)
    categories: dict = field(default_factory=dict)
    fill: dict = field(default_factory=dict)

    @property
    def active(self):
        return bool(self.columns)

    def split_columns(self):
        """(numeric column names, categorical column names), each in the order of columns."""
        return ([c for c in self.columns if c not in self.categories],
                [c for c in self.columns if c in self.categories])

    def input_names(self):
        """The network's input names: a numeric column as is, a categorical one as column=category each."""
        names = []
        for c in self.columns:
            names += [f"{c}={v}" for v in self.categories[c]] if c in self.categories else [c]
        return names

    @classmethod
    def fit(cls, names, cells, lines, impute="none", where=""):
        """An encoder for the raw cells (n, d) of the columns names; lines: each row's line in the file."""
        if impute not in IMPUTE:
            raise ConfigError(f"--impute must be one of {', '.join(IMPUTE)}, got {impute!r}")
        categories, fill = {}, {}
        for j, name in enumerate(names):
            column = cells[:, j]
            missing = np.array([is_missing(c) for c in column])
            present = column[~missing]
            _check_numbers(name, column, missing, lines, where)
            numeric = all(_number(c) is not None for c in present)
            if not numeric:
                categories[name] = sorted({str(c).strip() for c in present})
            if missing.any():
                if impute == "none":
                    line = lines[int(np.flatnonzero(missing)[0])]
                    raise MissingValue(f"{where}row {line}, column {name!r}: missing value ({column[missing][0]!r}); "
                                    f"remove the row or pass --impute mean (or most_frequent)")
                if not len(present):
                    raise DataError(f"{where}column {name!r} has no values at all; drop it with --drop {name}")
                if numeric and impute == "mean":
                    fill[name] = float(np.mean([float(c) for c in present]))
                else:
                    values, counts = np.unique([str(c).strip() for c in present], return_counts=True)
                    fill[name] = float(values[counts.argmax()]) if numeric else str(values[counts.argmax()])
        return cls(list(names), categories, fill)

    def transform(self, cells, lines=None, where=""):
        """Numeric inputs (n, sum of widths) for raw cells (n, len(columns))."""
        cells = np.asarray(cells, dtype=object)
        if cells.ndim != 2 or cells.shape[1] != len(self.columns):
            raise DataError(f"the data have {cells.shape[-1]} columns but the model reads {len(self.columns)} "
                            f"({', '.join(self.columns[:6])}{', ...' if len(self.columns) > 6 else ''})")
        lines = list(range(1, len(cells) + 1)) if lines is None else lines
        blocks = []
        for j, name in enumerate(self.columns):
            column = [self.fill[name] if name in self.fill and is_missing(c) else c for c in cells[:, j]]
            for i, c in enumerate(column):
                if is_missing(c):
                    raise MissingValue(f"{where}row {lines[i]}, column {name!r}: missing value ({c!r}); "
                                    "this model was trained without --impute")
            if name in self.categories:
                known = self.categories[name]
                index = {v: k for k, v in enumerate(known)}
                block = np.zeros((len(column), len(known)))
                for i, c in enumerate(column):
                    k = index.get(str(c).strip())
                    if k is None:
                        raise DataError(f"{where}row {lines[i]}, column {name!r}: category {str(c).strip()!r} was "
                                        f"not seen in training ({', '.join(known)})")
                    block[i, k] = 1.0
            else:
                block = np.empty((len(column), 1))
                for i, c in enumerate(column):
                    value = _number(str(c).strip())
                    if value is None:
                        raise DataError(f"{where}row {lines[i]}, column {name!r}: {c!r} is not a finite number")
                    block[i, 0] = value
            blocks.append(block)
        return np.hstack(blocks) if blocks else np.empty((len(cells), 0))

    def to_dict(self):
        return {"columns": self.columns, "categories": self.categories, "fill": self.fill}

    @classmethod
    def from_dict(cls, d):
        d = d or {}
        return cls(list(d.get("columns", [])), dict(d.get("categories", {})), dict(d.get("fill", {})))


def read_cells(path):
    """(names, cells (n, d) of str, lines) from a CSV with a header row, read as files.read_csv reads it."""
    rows = [(line, [c.strip() for c in row]) for line, row in files.csv_rows(path)]
    if len(rows) < 2:
        raise DataError(f"{path}: needs a header row and at least one data row")
    names = rows[0][1]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"{path}: the header names column(s) {', '.join(map(repr, duplicates))} more than once")
    for line, row in rows[1:]:
        if len(row) != len(names):
            raise DataError(f"{path}: row {line} has {len(row)} cells but the file has {len(names)} columns")
    cells = np.array([row for _, row in rows[1:]], dtype=object)
    return names, cells, [line for line, _ in rows[1:]]


def select(path, names, features=None, drop=None, target=None):
    """(feature column names, target name or None) after --features/--drop; unknown names are errors."""
    def check(chosen, option):
        unknown = [c for c in chosen if c not in names]
        if unknown:
            raise ConfigError(f"{option}: {path} has no column {', '.join(map(repr, unknown))}; "
                              f"columns: {', '.join(names)}")
        return chosen
    if target is False:
        target = None
    elif target is not None and str(target) not in names:
        try:
            target = names[int(target)]
        except (ValueError, IndexError):
            raise DataError(f"{path}: no column named {target!r}; columns: {', '.join(names)}") from None
    elif target is None:
        target = names[-1]
    if features:
        chosen = check(list(features), "--features")
        if target in chosen:
            raise ConfigError(f"--features: {target!r} is the target column; it cannot be a feature too")
    else:
        chosen = [c for c in names if c != target]
    if drop:
        check(list(drop), "--drop")
        chosen = [c for c in chosen if c not in drop]
    if not chosen:
        raise ConfigError("no feature columns are left after --features/--drop")
    return chosen, target


def parse_columns(text):
    """['a', 'b'] from 'a,b' (None stays None)."""
    return None if text is None else [c.strip() for c in str(text).split(",") if c.strip()]


def read_table(path, target=None, features=None, drop=None, impute="none", has_target=True):
    """(cells (n, d) object, y or None, feature names, target name, Encoder fitted on all rows)."""
    names, cells, lines = read_cells(path)
    chosen, target = select(path, names, features, drop, target if has_target else False)
    X = cells[:, [names.index(c) for c in chosen]]
    encoder = Encoder.fit(chosen, X, lines, impute, where=f"{path}: ")
    y = None
    if target is not None:
        column = cells[:, names.index(target)]
        for line, c in zip(lines, column):
            if is_missing(c):
                raise MissingValue(f"{path}: row {line}, column {target!r}: the target is missing")
        y = files.target_values(column, lines, f"{path}: ", target)  # as files.read_csv reads a target
    return X, y, chosen, target, encoder
