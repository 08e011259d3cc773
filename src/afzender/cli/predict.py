"""``afzender predict``: posts from arguments, stdin lines or a file, a label per post."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..backends import Backend
from ..classifier import DEFAULT_BATCH, Classifier, Result
from ..errors import DataError
from ..inputs.posts import text_problem
from ..inputs.tables import iter_file_rows
from ..labels import LABELS
from ..outputs import atomic_open, csv_cell, refuse_input, terminal_safe
from .common import add_model, add_sep, load_model, positive_int

PROGRESS_MIN_ROWS = 2000
BATCH = DEFAULT_BATCH
Writer = Callable[[int, Any, str, Result], None]


def _count_rows(path: Path) -> int:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def _file_posts(path: Path, text_column: str, id_column: str) -> Iterator[tuple[int, Any, str]]:
    for number, row in iter_file_rows(path):
        if text_column not in row:
            raise DataError(f"{path}: no column {text_column!r} (line/row {number}); columns: "
                            f"{', '.join(map(repr, row))}; choose one with --text-column")
        text = row[text_column]
        problem = text_problem(text)
        if problem is not None and text is None:  # as in the API: missing is not empty
            raise DataError(f"{path}, line/row {number}: {text_column!r} is missing (null); "
                            "give it a text (\"\" for an empty post) or leave the row out")
        if problem is not None:
            raise DataError(f"{path}, line/row {number}: {text_column!r} is not text: {text!r:.40}")
        yield number, _plain_id(row.get(id_column), path, number, id_column), text


def _plain_id(value: Any, path: Path, number: int, column: str) -> Any:
    """An id as JSON and CSV can carry it: text, a number, a bool or None; exact decimals
    and dates become text; binary or nested values are an error naming the row."""
    import datetime
    import decimal

    if (isinstance(value, float) and value in (float("inf"), float("-inf"))) or value != value:
        return None if value != value else str(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    raise DataError(f"{path}, line/row {number}: {column!r} is {type(value).__name__} "
                    f"({value!r:.40}); ids must be text or numbers")


def _writer(fmt: str, out: IO[str], with_id: bool, explain: bool) -> Writer:
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(["row", *(["id"] if with_id else []), "label",
                         *(f"p_{label}" for label in LABELS), *(["explanation"] if explain else [])])

        def write(row: int, ident: Any, text: str, result: Result) -> None:
            writer.writerow([row, *([csv_cell(ident)] if with_id else []), result.label,
                             *(f"{result.probabilities[label]:.6f}" for label in LABELS),
                             *([csv_cell(" ".join(w for w, _ in result.explanation or []))]
                               if explain else [])])
    elif fmt == "text":
        def write(row: int, ident: Any, text: str, result: Result) -> None:
            short = " ".join(terminal_safe(text[:1000]).split())
            short = short if len(short) <= 70 else short[:69] + "…"
            out.write(f"{result.label:<20} {result.confidence:5.2f}  {short}\n")
            if explain and result.explanation:
                out.write("    " + terminal_safe(", ".join(f"{w} ({c:+.2f})"
                                                           for w, c in result.explanation)) + "\n")
    else:
        def write(row: int, ident: Any, text: str, result: Result) -> None:
            record: dict[str, Any] = {"row": row}
            if with_id:
                record["id"] = ident
            record["label"] = result.label
            record["probabilities"] = {k: round(v, 6) for k, v in result.probabilities.items()}
            if explain:
                record["explanation"] = [[w, round(c, 4)] for w, c in result.explanation or []]
            out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
    return write


def cmd_predict(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    with_id = False
    if args.file:
        path = Path(args.file)
        posts = _file_posts(path, args.text_column, args.id_column)
        total = _count_rows(path) if path.is_file() else 0
        with_id = True
        fmt = args.format or "jsonl"
    elif args.texts:
        posts = ((i, None, t) for i, t in enumerate(args.texts))
        total, fmt = len(args.texts), args.format or "text"
    else:
        posts = ((i + 1, None, line.rstrip("\n")) for i, line in enumerate(sys.stdin))
        total, fmt = 0, args.format or "jsonl"
    if args.adapt_mix:
        posts, model = _adapted(model, posts, args)
    if not args.output:
        _classify_all(model, posts, sys.stdout, fmt, with_id, total, args)
        return 0
    refuse_input([args.output], [args.file] if args.file else [])
    # a temporary file renamed on success: a failure never leaves a truncated output
    with atomic_open(args.output, "w", encoding="utf-8", newline="") as out:
        _classify_all(model, posts, out, fmt, with_id, total, args)
    return 0


class _Remembered:
    """A backend that scores each distinct post once and remembers its probabilities, so
    that ``--adapt-mix`` (estimate on all posts, then classify them) scores them once."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend
        self._seen: dict[str, np.ndarray] = {}
        self.kind = backend.kind

    def predict_proba(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in self._seen]
        if missing:
            self._seen.update(zip(missing, self._backend.predict_proba(missing, threads)))
        return np.array([self._seen[text] for text in texts]).reshape(len(texts), len(LABELS))

    def explain(self, texts: list[str], top: int = 8) -> list[list[tuple[str, float]]]:
        return self._backend.explain(texts, top)

    def save(self, folder: Path) -> list[str]:
        return self._backend.save(folder)

    def manifest_config(self) -> dict[str, Any]:
        return self._backend.manifest_config()


def _adapted(model: Classifier, posts: Iterator[tuple[int, Any, str]],
             args: argparse.Namespace) -> tuple[Iterator[tuple[int, Any, str]], Classifier]:
    """The posts (read once, kept) and the model moved to their estimated label mix; each
    post is scored once (the estimate's probabilities serve the classification)."""
    kept = list(posts)
    if not kept:
        return iter(kept), model
    model = Classifier(_Remembered(model.backend), model.metadata)
    mix = model.estimate_mix([text for _, _, text in kept], batch_size=args.batch_size,
                             threads=args.threads)
    shares = lambda m: " / ".join(f"{100 * m[label]:.1f} %" for label in LABELS)  # noqa: E731
    print(f"afzender: label mix estimated on {len(kept)} posts ({' / '.join(LABELS)}): "
          f"{shares(mix)}; the model was trained on {shares(model.trained_mix)}",
          file=sys.stderr)
    return iter(kept), model.with_mix(mix)


def _classify_all(model: Classifier, posts: Iterator[tuple[int, Any, str]], out: IO[str], fmt: str,
                  with_id: bool, total: int, args: argparse.Namespace) -> None:
    from tqdm.auto import tqdm

    write = _writer(fmt, out, with_id, args.explain)
    bar = tqdm(total=total or None, unit="post", desc="classifying", file=sys.stderr,
               disable=total < PROGRESS_MIN_ROWS, mininterval=0.5)
    batch: list[tuple[int, Any, str]] = []
    count = 0
    size = args.batch_size or BATCH
    for item in posts:
        count += 1
        batch.append(item)
        if len(batch) == size:
            _flush(model, batch, write, args, bar)
    _flush(model, batch, write, args, bar)
    bar.close()
    if not count:
        where = args.file or "standard input"
        print(f"afzender: warning: no posts in {where}; nothing was classified", file=sys.stderr)


def _flush(model: Classifier, batch: list[tuple[int, Any, str]], write: Writer,
           args: argparse.Namespace, bar: Any) -> None:
    if not batch:
        return
    results = model.classify([text for _, _, text in batch], explain=args.explain,
                             batch_size=args.batch_size, threads=args.threads)
    for (row, ident, text), result in zip(batch, results):
        write(row, ident, text, result)
    bar.update(len(batch))
    batch.clear()


def add_parsers(sub: Any) -> None:
    """Add the predict command(s) to the ``afzender`` parser's subparsers."""
    p = sub.add_parser("predict", help="classify posts (arguments, stdin lines or a file)",
                       description="Classify posts given as arguments, as lines on stdin, or "
                                   "in a CSV/TSV/JSONL/Parquet file. Output keeps input order.")
    p.add_argument("texts", nargs="*", help="posts to classify (default: read stdin lines)")
    p.add_argument("--file", help="CSV, TSV, JSONL or Parquet file of posts")
    p.add_argument("--text-column", default="text", help="column with the post text (default: text)")
    p.add_argument("--id-column", default="id", help="column copied to the output (default: id)")
    p.add_argument("--format", choices=["jsonl", "csv", "text"],
                   help="output format (default: text for arguments, jsonl otherwise)")
    p.add_argument("--output", "-o", help="write to this file instead of stdout")
    p.add_argument("--explain", action="store_true", help="add the words that drove each decision")
    p.add_argument("--adapt-mix", action="store_true",
                   help="estimate the label mix of all the posts given (EM, no labels needed) and "
                        "classify under it instead of the training mix: for one account or "
                        "collection whose mix differs from the corpus's (reads all posts first)")
    p.add_argument("--batch-size", type=positive_int, metavar="N",
                   help=f"posts read and scored at a time (default {BATCH}; memory grows with it)")
    p.add_argument("--threads", type=positive_int, metavar="N",
                   help="threads that score each batch (default: the model's choice; the "
                        "linear model uses two for large batches)")
    add_model(p)
    add_sep(p)
    p.set_defaults(func=cmd_predict)
