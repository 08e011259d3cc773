"""Writing outputs without harm: files replaced atomically and never over their input,
spreadsheet-safe CSV cells, escaped Markdown cells, terminal-safe text.

- A file is written to a temporary file in the same folder and renamed over its
  destination only when it is complete, so a failure (a bad input line, Ctrl-C, a full
  disk) leaves an existing file as it was.
- :func:`refuse_input` stops a command whose output would be one of its inputs.
- :func:`csv_cell` neutralises cells that a spreadsheet would run as a formula (OWASP's
  advice: a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab or carriage return).
- :func:`md_cell` escapes HTML and Markdown and keeps a value on one line, for every
  Markdown table the library writes.
- :func:`terminal_safe` replaces C0/C1 control characters and ANSI escape sequences.
"""

from __future__ import annotations

import html
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from .errors import DataError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-_]?)"
                      r"|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_NO_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f]")
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")


def refuse_input(outputs: Iterable[str | os.PathLike[str]], inputs: Iterable[Any]) -> None:
    """Raise a :class:`DataError` when an output path is (or resolves to) an input file.

    ``inputs`` may hold non-paths (a DataFrame, a list), which are skipped.
    """
    sources = [Path(p) for p in inputs if isinstance(p, (str, os.PathLike))]
    for output in map(Path, outputs):
        for source in sources:
            same = output.resolve() == source.resolve()
            if not same and output.exists() and source.exists():
                same = os.path.samefile(output, source)
            if same:
                raise DataError(f"{output}: is also the input ({source}); refusing to overwrite "
                                "it, choose another output")


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path next to ``path``; renamed to ``path`` when the block succeeds,
    removed when it fails."""
    path = Path(path)
    temp = path.parent / f".{path.stem}-{uuid.uuid4().hex[:12]}.tmp{path.suffix}"  # same suffix
    try:
        yield temp
        os.replace(temp, path)
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **options: Any) -> Iterator[IO]:
    """``open(path, mode)`` that replaces ``path`` only when the block succeeds."""
    with atomic_path(path) as temp, open(temp, mode, **options) as handle:
        yield handle


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; return ``path``."""
    with atomic_open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return Path(path)


def csv_cell(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def terminal_safe(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` without ANSI escape sequences; other C0/C1 controls become U+FFFD
    (tab and, with ``keep_newlines``, newline stay)."""
    text = _ESCAPES.sub("\ufffd", text)
    return (_CONTROLS if keep_newlines else _CONTROLS_NO_NEWLINE).sub(
        lambda m: m.group() if m.group() == "\t" else "\ufffd", text)


def md_cell(value: Any) -> str:
    """``value`` as one Markdown table cell or heading: one line, HTML escaped (no tags
    survive), Markdown syntax characters and ``|`` backslash-escaped, controls replaced."""
    text = " ".join(terminal_safe(str(value)).split())
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))
