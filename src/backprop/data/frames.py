"""DataFrames (pandas, polars) and Arrow tables as the reader's tables, matched to a model's columns by name.

pandas and polars are never imported here: a frame is recognised by its module and converted through
Arrow (`pa.Table.from_pandas`, polars' `to_arrow`), so neither is a dependency.
"""

import warnings

import numpy as np

from ..errors import DataError


def is_frame(X):
    """True for a pandas or polars DataFrame, a pyarrow Table or RecordBatch (tables with named columns)."""
    return (type(X).__module__.split(".")[0], type(X).__name__) in {
        ("pandas", "DataFrame"), ("polars", "DataFrame"), ("pyarrow", "Table"), ("pyarrow", "RecordBatch")}


def as_table(X):
    """A pa.Table of a frame, its column names as strings (a pandas index is not a column)."""
    import pyarrow as pa
    if isinstance(X, pa.Table):
        table = X
    elif isinstance(X, pa.RecordBatch):
        table = pa.Table.from_batches([X])
    elif type(X).__module__.startswith("pandas"):
        X = X.rename(columns=str) if not all(isinstance(c, str) for c in X.columns) else X
        try:
            table = pa.Table.from_pandas(X, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            raise DataError(f"this DataFrame cannot be read as a table ({str(exc)[:200]}); give each column "
                            "one type (numbers or strings)") from None
    else:
        table = X.to_arrow()
    return table


def as_vector(y):
    """A 1-D or 2-D numpy array of labels or targets from an array, a pandas/polars Series or frame, an Arrow array."""
    if type(y).__module__.startswith("pyarrow") and hasattr(y, "to_numpy"):
        y = y.to_numpy(zero_copy_only=False)
    elif is_frame(y):
        table = as_table(y)
        y = np.column_stack([c.to_numpy(zero_copy_only=False) for c in table.columns])
        y = y[:, 0] if y.shape[1] == 1 else y
    elif type(y).__module__.split(".")[0] in ("pandas", "polars"):
        y = y.to_numpy()
    y = np.asarray(y)
    if y.dtype == object and y.size and all(isinstance(v, str) for v in y.ravel().tolist()):
        y = y.astype(str)  # text labels from a frame: one string dtype, as a CSV's are
    return y


def select(table, columns, where="", warn=True):
    """table's columns named in columns, in that order: a missing one is an error naming it, extras are
    ignored with a warning naming them."""
    have = set(table.column_names)
    missing = [c for c in columns if c not in have]
    if missing:
        more = " (and more)" if len(missing) > 5 else ""
        raise DataError(f"{where}no column {', '.join(map(repr, missing[:5]))}{more}"
                        f"; the model takes the columns {', '.join(columns[:10])}"
                        f"{', ...' if len(columns) > 10 else ''}")
    wanted = set(columns)
    extra = [c for c in table.column_names if c not in wanted]
    if extra and warn:
        warnings.warn(f"{where}column(s) {', '.join(map(repr, extra[:5]))}{' (and more)' if len(extra) > 5 else ''} "
                      "are not among the model's columns and are ignored", UserWarning, stacklevel=3)
    return table.select(columns)


def cells_table(cells, columns):
    """A pa.Table of text cells (n, len(columns)) by position; a missing spelling (empty, NA, ...) is null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .encoder import MISSING
    cells = np.asarray(cells)
    if cells.ndim != 2 or cells.shape[1] != len(columns):
        raise DataError(f"the data have {cells.shape[-1]} columns but the model reads {len(columns)} "
                        f"({', '.join(columns[:6])}{', ...' if len(columns) > 6 else ''})")
    missing = pa.array(list(MISSING))
    table = {}
    for j, name in enumerate(columns):
        column = pc.utf8_trim_whitespace(pa.array(cells[:, j].astype(str)))
        table[name] = pc.if_else(pc.is_in(pc.utf8_lower(column), value_set=missing), pa.scalar(None, pa.string()),
                                 column)
    return pa.table(table)
