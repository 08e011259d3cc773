"""``afzender evaluate`` and ``afzender info``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..evaluation.report import evaluate_model
from ..labels import LABELS
from ..outputs import terminal_safe
from .common import add_model, add_sep, load_model


def cmd_evaluate(args: argparse.Namespace) -> int:
    report = evaluate_model(args.model, args.data, text_column=args.text_column,
                            label_column=args.label_column, group_column=args.group_column,
                            by=args.by or (), output_dir=args.output_dir, seed=args.seed,
                            split=args.split)
    print(report.to_markdown())
    if args.output_dir:
        print(f"\nwrote {', '.join(sorted(p.name for p in report.files))} to {args.output_dir}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    meta = model.metadata
    print(f"model: {meta.get('path')}\nkind: {meta.get('kind')}\nlabels: {', '.join(LABELS)}")
    print(f"library version: {meta.get('library_version')}\nmade with: {meta.get('command')}")
    card = Path(meta.get("path", "")) / "README.md"
    if card.is_file():
        print("\n" + terminal_safe(card.read_text(encoding="utf-8", errors="replace"),
                                   keep_newlines=True))
    return 0


def add_parsers(sub: Any) -> None:
    """Add the evaluate, info command(s) to the ``afzender`` parser's subparsers."""
    p = sub.add_parser("evaluate", help="evaluate a model on labelled posts",
                       description="Metrics with a bootstrap CI, calibration and plots. When "
                                   "the data has a 'split' column, only its test rows are "
                                   "scored unless --split says otherwise; the report says "
                                   "which rows were scored.")
    p.add_argument("data", help="labelled posts")
    p.add_argument("--split", help="with a split column: test (default), dev, validation, "
                                   "train or all")
    add_model(p)
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--group-column", default="account",
                   help="resample these groups in the bootstrap when present (default: account)")
    p.add_argument("--by", action="append", metavar="COLUMN", help="breakdown by this column")
    p.add_argument("--output-dir", help="write report.json, report.md and PNG plots here")
    p.add_argument("--seed", type=int, default=0)
    add_sep(p)
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("info", help="show the loaded model and its card")
    add_model(p)
    p.set_defaults(func=cmd_info)
