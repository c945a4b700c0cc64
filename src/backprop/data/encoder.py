"""The Encoder a model keeps: which raw columns it reads, each text column's categories, each fill value.

A light module (no pyarrow at import): models are loaded without it; fitting and encoding, done in
columns.py on Arrow columns, import it when first used.
"""

from dataclasses import dataclass, field

from ..errors import DataError

IMPUTE = ("none", "mean", "most_frequent")
MISSING = ("", "na", "n/a", "nan", "null", "none", "?", "-")  # a missing cell, in any letter case
MAX_CATEGORIES = 1000  # distinct values of a text column (or text target), unless the user raises it


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

    @property
    def width(self):
        """The network's input count: one per numeric column, one per category."""
        return sum(len(self.categories[c]) if c in self.categories else 1 for c in self.columns)

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
    def fit(cls, table, impute="none", max_categories=MAX_CATEGORIES, where="", first_line=0, decimal_comma=False):
        """An encoder for the columns of table (a pa.Table); see columns.fit."""
        from . import columns
        return cls(*columns.fit(table, impute, max_categories, where, first_line, decimal_comma))

    def transform(self, table, where="", first_line=0, decimal_comma=False):
        """X (n, width) float64 for table (a pa.Table or RecordBatch of these columns); see columns.encode."""
        from . import columns
        return columns.encode(self, table, where, first_line, decimal_comma)

    def to_dict(self):
        return {"columns": self.columns, "categories": self.categories, "fill": self.fill}

    @classmethod
    def from_dict(cls, d):
        d = d or {}
        return cls(list(d.get("columns", [])), dict(d.get("categories", {})), dict(d.get("fill", {})))
