"""The ``afzender`` command line: a thin layer over the Python API, one module per command
group (:mod:`.predict`, :mod:`.train`, :mod:`.evaluate`, :mod:`.audit`).

User mistakes (missing file, bad column, unreadable model, bad option) print one line
``afzender: error: ...`` and exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
import warnings
from typing import TextIO

from .._version import __version__
from ..errors import AfzenderError
from ..inputs.tables import csv_separator
from ..outputs import terminal_safe
from . import audit, evaluate, predict, train

COMMAND_GROUPS = (predict, train, evaluate, audit)


def build_parser() -> argparse.ArgumentParser:
    """The ``afzender`` parser with every command."""
    parser = argparse.ArgumentParser(prog="afzender", description=(
        "Classify the capacity in which a Dutch government member speaks in a post: "
        "minister-in-functie, partijpoliticus or privépersoon."))
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="print diagnostics (the afzender logger at INFO) on stderr")
    parser.add_argument("--version", action="version", version=f"afzender {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.add_parsers(sub)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    """Warnings at the command line: one line ``afzender: warning: ...``, no source line."""
    text = str(message).splitlines()[0] if str(message) else category.__name__
    print(f"afzender: warning: {text}", file=file or sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    if args.verbose or args.debug:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("afzender: %(message)s"))
        logging.getLogger("afzender").addHandler(handler)
        logging.getLogger("afzender").setLevel(logging.DEBUG if args.debug else logging.INFO)
    try:
        with csv_separator(getattr(args, "sep", None)):
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("afzender: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except (AfzenderError, ImportError, OSError, RuntimeError, TypeError, ValueError) as exc:
        if args.debug:
            traceback.print_exc()
            return 2
        print(f"afzender: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BaseException as exc:
        # MemoryError, or a Rust panic (PanicException derives from BaseException): one line, exit 2
        if isinstance(exc, (SystemExit, GeneratorExit)) or (not isinstance(exc, MemoryError) \
                and type(exc).__name__ != "PanicException"):
            raise
        if args.debug:
            traceback.print_exc()
            return 2
        hint = "out of memory; give fewer or shorter posts at a time" if isinstance(
            exc, MemoryError) else f"internal failure ({type(exc).__name__}: {_one_line(exc)})"
        print(f"afzender: error: {hint}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException) -> str:
    """The first non-empty line of an error's message (its type when there is none),
    without terminal control characters."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return terminal_safe(lines[0] if lines else type(exc).__name__)


if __name__ == "__main__":
    sys.exit(main())
