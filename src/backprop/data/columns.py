"""Typing and encoding a table's columns, each once and vectorised (pyarrow.compute, never a Python loop
over cells): a column is numbers (float64) or categories (strings, one-hot encoded by the Encoder).

Rows in messages are `first_line + i` for the i-th row (a CSV's line, the header being line 1) or,
for a DataFrame (first_line 0), the row's position.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ConfigError, DataError
from .encoder import IMPUTE, MAX_CATEGORIES, MISSING, MissingValue
from .files import MAX_NAME
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
INFINITE = r"^[+-]?(?i:inf|infinity|nan)$"
INTEGER = r"^[+-]?\d+$"
DECIMAL_COMMA = r"^[+-]?\d*,\d+$"


def _row(first_line, mask):
    """The message's row of the first True in mask (a boolean Arrow array)."""
    return first_line + int(np.flatnonzero(np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool))[0])


def _first(column, mask):
    return column.filter(mask)[0].as_py()


def is_text(kind):
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind)


def text(column):
    """A column as plain strings, whitespace around each cell stripped (a dictionary decoded), and a missing
    spelling (encoder.MISSING, in any letter case: ' NA ', 'nA', 'NaN') null, as for a DataFrame's cells."""
    column = column.cast(pa.string()) if not (pa.types.is_string(column.type)) else column
    column = pc.utf8_trim_whitespace(column)
    missing = pc.is_in(pc.utf8_lower(column), value_set=pa.array(list(MISSING)))
    return pc.if_else(missing, pa.scalar(None, pa.string()), column)


def as_numbers(column, name, where="", first_line=0, decimal_comma=False):
    """A column as float64 (nulls where cells are missing, NaN counted as missing); a word among numbers,
    inf, or a decimal comma where the decimal mark is a point are errors naming the row and column."""
    kind = column.type
    if is_text(kind):
        column = text(column)
        present = pc.invert(pc.is_null(column))
        words = pc.and_(present, pc.invert(pc.match_substring_regex(column, NUMBER)))
        if pc.any(words).as_py():
            infinite = pc.and_(words, pc.match_substring_regex(column, INFINITE))
            if pc.any(infinite).as_py():
                raise DataError(f"{where}row {_row(first_line, infinite)}, column {name!r}: "
                                f"{_first(column, infinite)} is not a finite number; remove or impute it")
            commas = pc.match_substring_regex(column, DECIMAL_COMMA)
            if pc.all(pc.or_(pc.invert(words), commas)).as_py():
                if not decimal_comma:
                    raise DataError(f"{where}column {name!r} holds numbers written with a comma, such as "
                                    f"{_first(column, words)!r}: a decimal comma or a thousands separator? "
                                    "write them with a decimal point (or save the file with ; as delimiter)")
                column = pc.replace_substring(column, ",", ".")
            else:
                raise DataError(f"{where}row {_row(first_line, words)}, column {name!r}: {_first(column, words)!r} "
                                f"is not a number, in a column of numbers; fix the cell (or drop the column with "
                                f"--drop {name})")
    elif not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
              or pa.types.is_decimal(kind) or pa.types.is_null(kind)):
        raise DataError(f"{where}column {name!r} holds {kind} values, neither numbers nor text; convert or drop it")
    column = pc.cast(column, pa.float64())
    infinite = pc.is_inf(column)
    if pc.any(infinite).as_py():
        raise DataError(f"{where}row {_row(first_line, infinite)}, column {name!r}: {_first(column, infinite)} "
                        "is not a finite number; remove or impute it")
    nan = pc.is_nan(column)
    return pc.if_else(nan, pa.scalar(None, pa.float64()), column) if pc.any(nan).as_py() else column


def is_categorical(column):
    """True for a text column whose cells are not all numbers (as_numbers tells typos from categories)."""
    if not is_text(column.type):
        return False
    cells = text(column)
    present = pc.invert(pc.is_null(cells))
    numbers = pc.or_(pc.match_substring_regex(cells, NUMBER), pc.or_(pc.match_substring_regex(cells, DECIMAL_COMMA),
                                                                    pc.match_substring_regex(cells, INFINITE)))
    return not pc.any(pc.and_(present, numbers)).as_py() and bool(pc.any(present).as_py())


def categories_of(column, name, where="", max_categories=MAX_CATEGORIES, what="column"):
    """The sorted distinct strings of a text column; past max_categories an error naming the count."""
    values = pc.unique(text(column).drop_null())
    if len(values) > max_categories:
        fix = f"drop it (--drop {name})" if what == "column" else "choose another with --target"
        raise ConfigError(f"{where}{what} {name!r} holds {len(values)} distinct values, more than --max-categories "
                          f"{max_categories}; {fix} or raise --max-categories")
    values = sorted(values.to_pylist())
    long = next((v for v in values if len(v) > MAX_NAME), None)
    if long is not None:
        raise DataError(f"{where}{what} {name!r} holds a value of {len(long)} characters ({long[:30]!r}...); a model "
                        f"file holds names of at most {MAX_NAME}")
    return values


def target_values(column, name, where="", first_line=0, max_categories=MAX_CATEGORIES):
    """A target column as int64 class labels, text labels (integers past int64 too), or finite reals."""
    column = pa.chunked_array([column]) if isinstance(column, pa.Array) else column
    missing = pc.is_null(text(column) if is_text(column.type) else column)
    if pc.any(missing).as_py():
        raise MissingValue(f"{where}row {_row(first_line, missing)}, column {name!r}: the target is missing")
    if is_text(column.type):
        cells = text(column)
        if pc.all(pc.match_substring_regex(cells, INTEGER)).as_py():
            try:
                return _numpy(pc.cast(cells, pa.int64()))
            except pa.ArrowInvalid:  # past int64: ids or codes, kept as text labels
                return np.asarray(cells.to_numpy(zero_copy_only=False), dtype=str)
        if pc.all(pc.or_(pc.match_substring_regex(cells, NUMBER), pc.match_substring_regex(cells, INFINITE))).as_py():
            return _finite(pc.cast(cells, pa.float64()), name, where, first_line)
        categories_of(cells, name, where, max_categories, "the target column")
        return np.asarray(cells.to_numpy(zero_copy_only=False), dtype=str)
    if pa.types.is_unsigned_integer(column.type) and pc.max(column).as_py() >= 2**63:
        return np.asarray(pc.cast(column, pa.string()).to_numpy(zero_copy_only=False), dtype=str)
    if pa.types.is_integer(column.type) or pa.types.is_boolean(column.type):
        return _numpy(pc.cast(column, pa.int64()))
    return _finite(pc.cast(column, pa.float64()), name, where, first_line)


def past_int64(column):
    """True for a float column of whole numbers reaching 2^63: integers that pyarrow could not hold as int64."""
    if not pa.types.is_floating(column.type) or not len(column):
        return False
    largest = pc.max(pc.abs(column)).as_py()
    return largest is not None and largest >= 2**63 and pc.all(pc.equal(column, pc.round(column))).as_py()


def _finite(column, name, where, first_line):
    bad = pc.invert(pc.is_finite(column))
    if pc.any(bad).as_py():
        raise DataError(f"{where}row {_row(first_line, bad)}, column {name!r}: the target is not a finite number")
    return _numpy(column)


def _numpy(column):
    """A gap-free int64 or float64 column as one numpy array, from its chunks' buffers (no pandas import)."""
    out = np.empty(len(column), np.dtype(column.type.to_pandas_dtype()))
    start = 0
    for chunk in column.chunks:
        out[start:start + len(chunk)] = np.frombuffer(chunk.buffers()[1], out.dtype, len(chunk),
                                                      chunk.offset * out.itemsize)
        start += len(chunk)
    return out


def most_frequent(column):
    """The most frequent value of a column (nulls left out); of equally frequent ones, the smallest."""
    counts = pc.value_counts(column.drop_null())
    values, k = counts.field("values").to_pylist(), counts.field("counts").to_numpy()
    return min(v for v, c in zip(values, k) if c == k.max())


def fit(table, impute="none", max_categories=MAX_CATEGORIES, where="", first_line=0, decimal_comma=False):
    """(columns, categories, fill) for the columns of table (pa.Table): a text column of words is categorical,
    any other column numbers; missing cells are an error unless impute fills them."""
    if impute not in IMPUTE:
        raise ConfigError(f"--impute must be one of {', '.join(IMPUTE)}, got {impute!r}")
    categories, fill = {}, {}
    for name in table.column_names:
        column = table[name]
        kind = column.type
        if not column.null_count and (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            continue  # numbers with no gap: nothing to learn (encode checks that they are finite)
        if is_categorical(column):
            categories[name] = categories_of(column, name, where, max_categories)
            column = text(column)
        else:
            column = as_numbers(column, name, where, first_line, decimal_comma)
        if column.null_count:
            if impute == "none":
                raise MissingValue(f"{where}row {_row(first_line, pc.is_null(column))}, column {name!r}: missing "
                                   "value; remove the row or pass --impute mean (or most_frequent)")
            if column.null_count == len(column):
                raise DataError(f"{where}column {name!r} has no values at all; drop it with --drop {name}")
            fill[name] = pc.mean(column).as_py() if name not in categories and impute == "mean" \
                else most_frequent(column)
    return list(table.column_names), categories, fill


def encode(encoder, table, where="", first_line=0, decimal_comma=False):
    """Numeric inputs X (n, encoder.width) float64 for table (a pa.Table or RecordBatch holding encoder.columns):
    numbers as they are, each category a one-hot block, missing cells filled (or an error naming them)."""
    have = set(table.column_names)  # column_names is a new list at each call: once, or 50,000 columns cost n^2
    missing = [c for c in encoder.columns if c not in have]
    if missing:
        more = " (and more)" if len(missing) > 5 else ""
        raise DataError(f"{where}no column {', '.join(map(repr, missing[:5]))}{more}"
                        f"; the model takes the columns {', '.join(encoder.columns[:10])}"
                        f"{', ...' if len(encoder.columns) > 10 else ''}")
    n = table.num_rows
    X = (np.zeros if encoder.categories else np.empty)((n, encoder.width), order="F")  # columns written whole
    j = 0
    for name in encoder.columns:
        column = table[name]
        column = pa.chunked_array([column]) if isinstance(column, pa.Array) else column
        if name in encoder.categories:
            known = encoder.categories[name]
            cells = text(column)
            if name in encoder.fill:
                cells = pc.fill_null(cells, encoder.fill[name])
            check_present(cells, name, where, first_line)
            index = pc.index_in(cells, value_set=pa.array(known, pa.string()))
            unknown = pc.is_null(index)
            if pc.any(unknown).as_py():
                raise DataError(f"{where}row {_row(first_line, unknown)}, column {name!r}: category "
                                f"{_first(cells, unknown)!r} was not seen in training "
                                f"({', '.join(known[:10])}{', ...' if len(known) > 10 else ''})")
            X[np.arange(n), j + index.to_numpy()] = 1.0
            j += len(known)
        else:
            if not _copy_numbers(column, X[:, j]):  # text, gaps or inf: typed and checked cell by cell's rule
                values = as_numbers(column, name, where, first_line, decimal_comma)
                if name in encoder.fill:
                    values = pc.fill_null(values, float(encoder.fill[name]))
                check_present(values, name, where, first_line)
                X[:, j] = values.to_numpy()
            j += 1
    return X


def _copy_numbers(column, out):
    """Copy a column of numbers without gaps into out (n,) chunk by chunk, with no concatenated temporary;
    False (out unfinished) when the column needs as_numbers: text, a missing cell, or a value not finite."""
    kind = column.type
    if column.null_count or not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
        return False
    start = 0
    dtype = np.dtype(kind.to_pandas_dtype()) if pa.types.is_integer(kind) else np.dtype(f"f{kind.bit_width // 8}")
    for chunk in column.chunks:  # the chunk's own buffer: to_numpy would import pandas, where it is installed
        values = np.frombuffer(chunk.buffers()[1], dtype, len(chunk), chunk.offset * dtype.itemsize)
        out[start:start + len(chunk)] = values
        start += len(chunk)
    return bool(np.isfinite(out).all())


def check_present(column, name, where, first_line):
    if column.null_count:
        raise MissingValue(f"{where}row {_row(first_line, pc.is_null(column))}, column {name!r}: missing value; "
                           "this model was trained without --impute")
