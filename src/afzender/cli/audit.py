"""``afzender audit`` and ``afzender check``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..audit.accounts import audit_accounts
from ..audit.check import check_draft
from ..audit.results import AUDIT_FILES
from ..outputs import refuse_input, terminal_safe
from .common import add_model, add_sep

ASSUMED_CORPORATE = {
    "nl": "Let op: geen --account-type opgegeven; getoetst als corporate account (alleen beleid).",
    "en": "Note: no --account-type given; checked as a corporate account (policy only).",
}


def cmd_audit(args: argparse.Namespace) -> int:
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


def add_parsers(sub: Any) -> None:
    """Add the audit, check command(s) to the ``afzender`` parser's subparsers."""
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
    add_model(p)
    add_sep(p)
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
    add_model(p)
    p.set_defaults(func=cmd_check)
