"""Posts to classify: a ``str`` (one post), any iterable of ``str``, or a pandas DataFrame /
``datasets.Dataset`` with a named text column; validation names the bad index or row."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..errors import DataError


def text_problem(value: object) -> str | None:
    """Why ``value`` is not a post (``"missing (None)"``, ``"bytes"``, ``"int"``, ...), or
    ``None`` when it is one: any ``str``, empty and whitespace-only included."""
    if isinstance(value, str):
        return None
    if value is None or (isinstance(value, float) and math.isnan(value)) or \
            type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return f"missing ({value!r})"
    if isinstance(value, (bytes, bytearray)):
        return "bytes"
    return type(value).__name__


def check_text(value: object, index: int) -> str:
    """Return ``value`` if it is a post, else raise a ``TypeError`` naming ``index``.

    Empty and whitespace-only strings are valid posts (they get the model's prior).
    ``None``, bytes, numbers and pandas' ``NaN`` are not: the caller must decide what a
    missing post means.
    """
    problem = text_problem(value)
    if problem is None:
        return value  # type: ignore[return-value]
    if problem.startswith("missing"):
        raise TypeError(f"texts[{index}] is {problem}; every post must be a str "
                        "(use '' for an empty post)")
    if problem == "bytes":
        raise TypeError(f"texts[{index}] is bytes; decode it first, e.g. value.decode('utf-8')")
    raise TypeError(f"texts[{index}] is {problem}, expected str")


def require_texts(values: Sequence[object], rows: Sequence[str], column: str) -> list[str]:
    """``values`` (a table's text column) if every one is a post, else one
    :class:`~afzender.DataError` naming the column and the rows that are not."""
    from .splits import rows_text

    bad = [row for row, value in zip(rows, values) if text_problem(value) is not None]
    if bad:
        raise DataError(f"column {column!r} must hold text; not text at {rows_text(bad)}")
    return list(values)  # type: ignore[arg-type]


def as_text_list(texts: str | Iterable[str], column: str | None = None) -> tuple[list[str], bool]:
    """Validate prediction input; return the posts and whether a single str was given.

    A pandas ``DataFrame`` or a ``datasets.Dataset`` needs ``column``, the name of its
    text column (iterating over a DataFrame would give its column names).

    Raises
    ------
    TypeError
        Not a str or iterable of str (naming the bad index); a table without
        ``column``; ``column`` for something that is not a table.
    DataError
        ``column`` is not a column of the table.
    """
    table = _table_kind(texts)
    if table:
        frame: Any = texts
        names = list(frame.columns) if table == "DataFrame" else list(frame.column_names)
        if column is None:
            raise TypeError(f"texts is a {table}; pass the name of its text column, e.g. "
                            f"column={str(names[0]) if names else 'text'!r} (columns: "
                            f"{', '.join(map(repr, names[:20])) or 'none'})")
        if column not in names:
            raise DataError(f"the {table} has no column {column!r}; columns: "
                            f"{', '.join(map(repr, names[:20])) or 'none'}")
        texts = list(frame[column])
    elif column is not None:
        raise TypeError(f"column= is for a pandas DataFrame or a datasets.Dataset, not for "
                        f"{type(texts).__name__}")
    if isinstance(texts, str):
        return [texts], True
    if isinstance(texts, (bytes, bytearray)) or not isinstance(texts, Iterable):
        raise TypeError(f"texts must be a str or an iterable of str, not {type(texts).__name__}")
    return [check_text(value, i) for i, value in enumerate(texts)], False


def _table_kind(value: object) -> str | None:
    """``"DataFrame"`` or ``"Dataset"`` for a pandas DataFrame or a ``datasets.Dataset``
    (recognised without importing either library), else None."""
    module = type(value).__module__
    if module.startswith("pandas") and hasattr(value, "columns") and hasattr(value, "iloc"):
        return "DataFrame"
    if module.startswith("datasets") and hasattr(value, "column_names") and hasattr(value, "features"):
        return "Dataset"
    return None


def check_controls(batch_size: Any, threads: Any) -> tuple[int | None, int | None]:
    """``batch_size`` and ``threads`` of a prediction call: ``None`` or a positive int."""
    for name, value in (("batch_size", batch_size), ("threads", threads)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a positive integer or None, not {value!r}")
    return batch_size, threads


def iter_batches(texts: Iterable[str], batch_size: int) -> Iterator[list[str]]:
    """Validated batches of at most ``batch_size`` posts from any iterable, lazily."""
    if isinstance(texts, str):
        raise TypeError("predict_iter takes an iterable of posts, not a single str")
    iterator = iter(texts)
    offset = 0
    while batch := list(itertools.islice(iterator, batch_size)):
        yield [check_text(value, offset + i) for i, value in enumerate(batch)]
        offset += len(batch)
