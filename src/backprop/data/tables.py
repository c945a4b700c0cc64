"""The one table reader: CSV (plain or .gz), Parquet, Feather/Arrow IPC or a folder of them, on pyarrow.

read_arrow(source) gives the file's columns as pyarrow read them (one multithreaded, vectorised pass);
columns.py types them (numbers or categories) and encodes them. The rules a file meets before a column
is typed: a regular file (a FIFO would hang), at most MAX_DATA_BYTES, a .gz no more than MAX_RATIO
times its size, UTF-8, a header row (unless header=False: columns col1..colN), unique column names
the model file can hold, and at least one data row. Every error names the file, and where it can the row
(the line of the file, the header being line 1) and the column.
"""

import csv
import gzip
import io
import os
import re
import zlib
from collections import Counter
from dataclasses import dataclass

import pyarrow as pa

from ..errors import DataError
from .encoder import MISSING
from .files import GZIP_MAGIC, MAX_DATA_BYTES, MAX_NAME, check_ratio, check_regular, gzipped

DELIMITERS = (",", ";", "\t", "|")
SAMPLE = 1 << 16  # bytes read to find the delimiter and the decimal mark
BLOCK = 1 << 22  # pyarrow's block: a row longer than this is read again in one block
PARQUET, IPC, CSV = "parquet", "ipc", "csv"
SUFFIXES = {".parquet": PARQUET, ".pq": PARQUET, ".feather": IPC, ".arrow": IPC, ".ipc": IPC}
_DECIMAL_COMMA = re.compile(r"(^|[;\t|])\s*[+-]?\d+,\d+\s*(?=[;\t|]|$)", re.M)


@dataclass
class Read:
    """A table as read: its columns, its name in messages, the line of its first data row, its decimal mark."""

    table: pa.Table
    name: str
    first_line: int = 2
    decimal_comma: bool = False

    @property
    def where(self):
        return f"{self.name}: "


def missing_spellings():
    """Every spelling of a missing cell pyarrow should read as null: each of MISSING in three cases."""
    return sorted({v for m in MISSING for v in (m, m.upper(), m.capitalize())})


def read_arrow(source, header=True, name=None, text_columns=()):
    """A Read of source: a path (file or folder), bytes, or a binary file object.

    text_columns: names (or indices) of CSV columns read as text whatever they hold (a target column, so
    that labels past 2^63 stay labels); header=False names the columns col1..colN.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _read_bytes(bytes(source), name or "upload", header, text_columns)
    if hasattr(source, "read"):
        data = source.read(MAX_DATA_BYTES + 1)
        return _read_bytes(data, name or getattr(source, "name", None) or "upload", header, text_columns)
    path = os.fspath(source)
    name = name or path
    if not os.path.exists(path):
        raise DataError(f"{name}: no such file")
    if os.path.isdir(path):
        return _read_folder(path, name, header, text_columns)
    check_regular(path)
    size = os.path.getsize(path)
    if size > MAX_DATA_BYTES:
        raise DataError(f"{name}: {size / 2**30:.1f} GiB, more than the {MAX_DATA_BYTES >> 30} GiB backprop reads "
                        "into memory; refused")
    kind = format_of(path)
    if kind == PARQUET:
        return Read(_parquet(path, name), name, first_line=0)
    if kind == IPC:
        return Read(_ipc(path, name), name, first_line=0)
    if gzipped(path):
        return _read_csv_bytes(_gunzip(path, name, size), name, header, text_columns)
    return _read_csv(path, name, header, text_columns, size)


def format_of(path):
    """parquet, ipc or csv, from the name (a .gz file is a compressed CSV)."""
    return SUFFIXES.get(os.path.splitext(os.fspath(path).lower())[1], CSV)


def _read_bytes(data, name, header, text_columns):
    if len(data) > MAX_DATA_BYTES:
        raise DataError(f"{name}: more than the {MAX_DATA_BYTES >> 30} GiB backprop reads into memory; refused")
    if data[:4] == b"PAR1":
        return Read(_parquet(pa.BufferReader(data), name), name, first_line=0)
    if data[:6] == b"ARROW1":
        return Read(_ipc(pa.BufferReader(data), name), name, first_line=0)
    if data[:2] == GZIP_MAGIC:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            data = _bounded(f, name, len(data))
    return _read_csv_bytes(data, name, header, text_columns)


def _gunzip(path, name, size):
    with gzip.open(path, "rb") as f:
        return _bounded(f, name, size)


def _bounded(f, name, compressed):
    """The decompressed bytes of f, refused as a bomb past MAX_RATIO times compressed (or past MAX_DATA_BYTES)."""
    limit = MAX_DATA_BYTES
    chunks, total = [], 0
    try:
        while chunk := f.read(1 << 24):
            total += len(chunk)
            check_ratio(name, total, compressed, "the gzip stream")
            if total > limit:
                raise DataError(f"{name}: decompresses to more than {limit >> 30} GiB; refused")
            chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{name}: not a readable gzip file ({exc})") from None
    return b"".join(chunks)


# ---- CSV --------------------------------------------------------------------------------------
def _sample(head, name, whole):
    """The text of the first bytes (a cut multi-byte character at the end dropped), checked as UTF-8."""
    if not head.strip():
        raise DataError(f"{name}: the file is empty")
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if whole or exc.start < len(head) - 4:
            raise DataError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                            "save it as UTF-8 CSV") from None
        text = head[:exc.start].decode("utf-8-sig")
    if not text.strip():
        raise DataError(f"{name}: the file is empty")
    return text


def sniff(text, whole):
    """(delimiter, decimal comma?) from the first lines: the delimiter that cuts every line into the same
    number (> 1) of cells, in the order , ; tab |; a decimal comma only where the delimiter is not a comma."""
    lines = [line for line in text.splitlines()[: None if whole else -1] if line.strip()][:50] or [text.strip()]
    best, best_width = ",", 1
    for d in DELIMITERS:
        widths = {len(row) for row in csv.reader(lines, delimiter=d)}
        if len(widths) == 1 and widths.pop() > 1:
            best = d
            break
        header_width = len(next(csv.reader(lines[:1], delimiter=d)))
        if header_width > best_width:
            best, best_width = d, header_width
    return best, best != "," and bool(_DECIMAL_COMMA.search("\n".join(lines[1:])))


def _head(data):
    """The first SAMPLE bytes of data, and more up to the end of the first line (a header of 50,000 names)."""
    end = SAMPLE
    while end < len(data) and not re.search(rb"[\r\n]", data[:end]):
        end *= 4
    return data[:end]


def file_head(f, size):
    """The first SAMPLE bytes of an open file of size bytes, and more up to the end of its first line."""
    head = f.read(SAMPLE)
    while not re.search(rb"[\r\n]", head) and len(head) < size:
        more = f.read(len(head) * 3)  # the first line is longer than the sample: read on to its end
        if not more:
            break
        head += more
    return head


def _read_csv(path, name, header, text_columns, size):
    with open(path, "rb") as f:
        head = file_head(f, size)
    text = _sample(head, name, len(head) >= size)
    return _parse(path, name, text, len(head) >= size, header, text_columns, size)


def _read_csv_bytes(data, name, header, text_columns):
    head = _head(data)
    text = _sample(head, name, len(head) >= len(data))
    return _parse(pa.py_buffer(data), name, text, len(head) >= len(data), header, text_columns, len(data))


def _parse(where, name, text, whole, header, text_columns, size):
    import pyarrow.csv as pacsv
    try:
        delimiter, decimal_comma = sniff(text, whole)
        first = next(csv.reader([next(line for line in text.splitlines() if line.strip())], delimiter=delimiter))
    except csv.Error as exc:
        raise DataError(f"{name}: cannot read as CSV ({exc})") from None
    names = [c.strip() for c in first] if header else [f"col{j + 1}" for j in range(len(first))]
    check_names(names, name)
    text_columns = {names[t] if isinstance(t, int) and not isinstance(t, bool) and -len(names) <= t < len(names)
                    else str(t) for t in text_columns}
    read = dict(column_names=names, skip_rows=1 if header else 0, block_size=BLOCK)
    parse = dict(delimiter=delimiter)
    convert = pacsv.ConvertOptions(
        null_values=missing_spellings(), strings_can_be_null=True, quoted_strings_can_be_null=True,
        true_values=[], false_values=[], timestamp_parsers=[], decimal_point="," if decimal_comma else ".",
        column_types={c: pa.string() for c in text_columns if c in names})

    def attempt(**changes):
        source = pa.BufferReader(where) if isinstance(where, pa.Buffer) else where
        options = {**read, **changes}
        return pacsv.read_csv(source, read_options=pacsv.ReadOptions(**options),
                              parse_options=pacsv.ParseOptions(**parse), convert_options=convert)
    try:
        try:
            table = attempt()
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
            table = attempt(block_size=min(max(2 * size, BLOCK), 2**31 - 1))  # one row longer than a block
    except pa.ArrowInvalid as exc:
        raise _csv_error(exc, where, name, read, parse, header) from None
    if len(names) < 2:
        raise DataError(f"{name}: only one column; a data file needs feature columns and a target column "
                        "(is the delimiter one of , ; tab |?)")
    if table.num_rows == 0:
        raise DataError(f"{name}: a header but no data rows" if header else f"{name}: no data rows")
    return Read(table, name, first_line=2 if header else 1, decimal_comma=decimal_comma)


def _csv_error(exc, where, name, read, parse, header):
    """A DataError for pyarrow's CSV error: a ragged row found again, single-threaded, to name its line."""
    import pyarrow.csv as pacsv
    message = str(exc)
    if "invalid UTF8" in message or "UTF8" in message:
        return DataError(f"{name}: not UTF-8 text ({message.splitlines()[0][:120]}); save it as UTF-8 CSV")
    if "Expected" in message and "columns" in message:
        bad = []

        def handler(row):
            bad.append(row)
            return "error"
        source = pa.BufferReader(where) if isinstance(where, pa.Buffer) else where
        try:
            pacsv.read_csv(source, read_options=pacsv.ReadOptions(**{**read, "use_threads": False}),
                           parse_options=pacsv.ParseOptions(**parse, invalid_row_handler=handler))
        except pa.ArrowInvalid:
            pass
        if bad:
            row = bad[0]
            line = "" if row.number is None else f"row {row.number + (0 if header else -1)} "
            return DataError(f"{name}: {line}has {row.actual_columns} cells but the file has "
                             f"{row.expected_columns} columns")
    return DataError(f"{name}: cannot read as CSV ({message.splitlines()[0][:200]})")


def check_names(names, name):
    """Column names unique and short enough for the model file (a linear check: 50,000 columns are fine)."""
    duplicates = sorted(n for n, k in Counter(names).items() if k > 1)
    if duplicates:
        raise DataError(f"{name}: the header names column(s) {', '.join(map(repr, duplicates[:5]))} more than once")
    long = next((n for n in names if len(n) > MAX_NAME), None)
    if long is not None:
        raise DataError(f"{name}: the column name {long[:40]!r}... has {len(long)} characters; a model file holds "
                        f"names of at most {MAX_NAME}")


# ---- Parquet, Feather/Arrow IPC, folders ----------------------------------------------------------
def _parquet(source, name):
    import pyarrow.parquet as pq
    try:
        f = pq.ParquetFile(source)
        meta = f.metadata
        declared = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if declared > MAX_DATA_BYTES:
            raise DataError(f"{name}: the row groups declare {declared / 2**30:.1f} GiB, more than the "
                            f"{MAX_DATA_BYTES >> 30} GiB backprop reads into memory; refused")
        table = f.read()
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{name}: not a readable Parquet file ({str(exc)[:200]})") from None
    return _checked(table, name)


def _ipc(source, name):
    batches, total = [], 0
    try:
        with pa.ipc.open_file(source) as f:
            for i in range(f.num_record_batches):
                batch = f.get_batch(i)
                total += batch.nbytes
                if total > MAX_DATA_BYTES:
                    raise DataError(f"{name}: decodes to more than {MAX_DATA_BYTES >> 30} GiB; refused")
                batches.append(batch)
            schema = f.schema
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{name}: not a readable Feather/Arrow file ({str(exc)[:200]})") from None
    return _checked(pa.Table.from_batches(batches, schema), name)


def _read_folder(path, name, header, text_columns):
    """A folder of Parquet (or Feather) files, or of CSV files of the same columns, read as one table."""
    import pyarrow.dataset as ds
    files = sorted(os.path.join(root, f) for root, _, fs in os.walk(path) for f in fs if not f.startswith((".", "_")))
    if not files:
        raise DataError(f"{name}: a folder with no data files in it (not a regular file); name a data file or a "
                        "folder of Parquet or CSV files")
    for f in files:
        check_regular(f)
    kinds = {format_of(f) for f in files}
    if len(kinds) > 1:
        raise DataError(f"{name}: the folder mixes file formats ({', '.join(sorted(kinds))}); keep one")
    kind = kinds.pop()
    if kind == CSV:
        parts = [read_arrow(f, header, text_columns=text_columns) for f in files]
        try:
            table = pa.concat_tables([p.table for p in parts], promote_options="permissive")
        except pa.ArrowException as exc:
            raise DataError(f"{name}: its CSV files do not share their columns ({str(exc)[:200]})") from None
        return Read(table, name, first_line=0, decimal_comma=parts[0].decimal_comma)
    try:
        dataset = ds.dataset(files, format="parquet" if kind == PARQUET else "ipc")
        declared = sum(os.path.getsize(f) for f in files)
        if declared > MAX_DATA_BYTES:
            raise DataError(f"{name}: {declared / 2**30:.1f} GiB of files; refused")
        table = dataset.to_table()
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{name}: not a readable {kind} folder ({str(exc)[:200]})") from None
    return Read(_checked(table, name), name, first_line=0)


def _checked(table, name):
    check_names(table.column_names, name)
    if table.num_rows == 0:
        raise DataError(f"{name}: no data rows")
    return table
