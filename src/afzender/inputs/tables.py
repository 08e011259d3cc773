"""Tabular input, read with validation that names the row.

Tabular input (training, evaluation, files): a path to CSV/TSV, JSONL or Parquet, a
``datasets.Dataset`` or ``DatasetDict``, a pandas ``DataFrame``, a list of dicts, or a list
of ``(text, label)`` pairs.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from ..errors import DataError

Rows = dict[str, list[Any]]
TABLE_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".json", ".parquet")
CSV_SEPARATORS = (",", ";", "\t")  # sniffed in this order of preference
# A CSV field may be as long as a post can be and longer (csv's default limit is 128 KiB).
CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
# The CSV separator chosen by the caller (the CLI's --sep); None: sniffed per file.
_CSV_SEPARATOR: ContextVar[str | None] = ContextVar("afzender_csv_separator", default=None)


@contextmanager
def csv_separator(sep: str | None) -> Iterator[None]:
    """Read every CSV/TSV file inside the ``with`` block with ``sep`` (one of
    :data:`CSV_SEPARATORS`) instead of sniffing it; ``None`` keeps sniffing."""
    if sep is not None and sep not in CSV_SEPARATORS:
        raise ValueError(f"the CSV separator must be one of {', '.join(map(repr, CSV_SEPARATORS))}, "
                         f"not {sep!r}")
    token = _CSV_SEPARATOR.set(sep)
    try:
        yield
    finally:
        _CSV_SEPARATOR.reset(token)



def _open_error(path: Path) -> DataError:
    if not path.exists():
        return DataError(f"{path}: file not found")
    return DataError(f"{path}: cannot read this file")


def iter_file_rows(path: str | os.PathLike[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Stream ``(row_number, row)`` from a CSV/TSV, JSONL or Parquet file.

    Row numbers are what a user finds in the file: the line number for JSONL and CSV
    (the header is line 1), the 1-based row for Parquet. The separator of a CSV/TSV file
    is the one set by :func:`csv_separator`, else sniffed from its header line
    (:func:`sniff_separator`: ``,``, ``;`` as Dutch Excel writes, or tab).

    Raises
    ------
    DataError
        Missing file, unknown suffix, or a corrupt line (with its line number).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(f"{path}: unsupported file type '{suffix}'; use "
                        f"{', '.join(TABLE_SUFFIXES)}")
    if not path.is_file():
        raise _open_error(path)
    if suffix == ".parquet":
        yield from _iter_parquet(path)
    elif suffix in (".csv", ".tsv"):
        yield from _iter_csv(path, _CSV_SEPARATOR.get() or sniff_separator(path))
    elif suffix == ".json":
        yield from _iter_json_array(path)
    else:
        yield from _iter_jsonl(path)


def _iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8", errors="strict") as handle:
        try:
            for lineno, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}, line {lineno}: invalid JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise DataError(f"{path}, line {lineno}: expected a JSON object, "
                                    f"got {type(row).__name__}")
                yield lineno, row
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None


def _iter_json_array(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: invalid JSON ({exc})") from None
    if not isinstance(data, list):
        raise DataError(f"{path}: expected a JSON array of objects")
    for index, row in enumerate(data):
        if not isinstance(row, dict):
            raise DataError(f"{path}, item {index}: expected a JSON object")
        yield index + 1, row


def sniff_separator(path: Path) -> str:
    """The separator of :data:`CSV_SEPARATORS` that splits the header line into the most
    fields (a tie goes to the earlier one; a ``.tsv`` file prefers tab)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = handle.readline()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None
    order = ("\t", ",", ";") if path.suffix.lower() == ".tsv" else CSV_SEPARATORS
    counts = {sep: len(next(csv.reader([header], delimiter=sep), [])) for sep in order}
    return max(order, key=lambda sep: counts[sep])


def _iter_csv(path: Path, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader, None)
            if header is None:
                return
            for record in reader:
                lineno = reader.line_num
                if not record:
                    continue
                if len(record) != len(header):
                    raise DataError(f"{path}, line {lineno}: {len(record)} fields, header has "
                                    f"{len(header)} (unquoted delimiter or newline?)")
                yield lineno, dict(zip(header, record))
        except csv.Error as exc:
            raise DataError(f"{path}, line {reader.line_num}: corrupt CSV ({exc})") from None
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
    except ImportError:
        raise DataError("reading Parquet needs pyarrow: pip install pyarrow") from None
    except Exception as exc:  # pyarrow raises its own error types for corrupt files
        raise DataError(f"{path}: not a readable Parquet file ({exc})") from None
    row = 0
    for batch in parquet.iter_batches(batch_size=8192):
        for record in batch.to_pylist():
            row += 1
            yield row, record


def read_table(source: Any, columns: Sequence[str], *, optional: Sequence[str] = ()) -> Rows:
    """Read ``columns`` (required) and ``optional`` columns from any tabular source.

    Returns
    -------
    dict
        Column name to list of values, plus ``"_row"``: the row number of each row as the
        user would find it (line in a file, index in a list or DataFrame).

    Raises
    ------
    DataError
        A required column is missing (the message lists the columns present).
    """
    rows, where = _rows_of(source, columns)
    table: Rows = {name: [] for name in (*columns, *optional, "_row")}
    present: set[str] | None = None
    for number, row in rows:
        if present is None:
            present = set(row)
            missing = [name for name in columns if name not in present]
            if missing:
                raise DataError(f"{where}: missing column(s) {', '.join(map(repr, missing))}; "
                                f"columns present: {', '.join(map(repr, sorted(present))) or 'none'}")
        for name in columns:
            if name not in row:
                raise DataError(f"{where}, {number}: missing field {name!r}")
            table[name].append(row[name])
        for name in optional:
            table[name].append(row.get(name))
        table["_row"].append(number)
    if present is None:
        raise DataError(f"{where}: no rows")
    for name in optional:
        if all(value is None for value in table[name]):
            del table[name]
    return table


def _rows_of(source: Any, columns: Sequence[str]) -> tuple[Iterable[tuple[str, dict]], str]:
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return ((f"line {n}" if path.suffix.lower() != ".parquet" else f"row {n}", row)
                for n, row in iter_file_rows(path)), str(path)
    module = type(source).__module__
    if module.startswith("datasets") and hasattr(source, "keys") and not hasattr(source, "features"):
        raise DataError("got a DatasetDict; pass one split, e.g. data['train']")
    if module.startswith("datasets"):
        return ((f"row {i}", row) for i, row in enumerate(source)), "Dataset"
    if module.startswith("pandas"):
        frame = source.reset_index(drop=True)
        return ((f"row {i}", row) for i, row in enumerate(frame.to_dict("records"))), "DataFrame"
    if isinstance(source, Iterable) and not isinstance(source, (bytes, dict)):
        return _list_rows(source, columns), "list"
    raise DataError(f"cannot read data from {type(source).__name__}; pass a path, a Dataset, "
                    "a DataFrame or a list of (text, label) pairs or dicts")


def _list_rows(source: Iterable[Any], columns: Sequence[str]) -> Iterator[tuple[str, dict]]:
    for index, item in enumerate(source):
        if isinstance(item, dict):
            yield f"index {index}", item
        elif isinstance(item, (tuple, list)) and len(item) == len(columns):
            yield f"index {index}", dict(zip(columns, item))
        else:
            raise DataError(f"data[{index}]: expected a dict or a ({', '.join(columns)}) "
                            f"tuple, got {item!r:.60}")
