"""Audit accounts: per account the label shares over time, the posts that break the rule
for the account type, and the posts the model is unsure about (*twijfel*)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..classifier import Classifier, as_classifier
from ..errors import DataError
from ..inputs.posts import require_texts
from ..inputs.tables import iter_file_rows, read_table
from ..label_mix import estimate_mix
from ..labels import LABELS
from .results import AccountAudit, AuditResult, FlaggedPost
from .rules import ACCOUNT_TYPES, ALLOWED, DEFAULT_DOUBT, breached, check_type

_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y", "%Y-%m-%dT%H:%M:%S",
                 "%Y-%m-%d %H:%M:%S", "%d/%m/%Y")


def parse_date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text[:19] if "T" in text else text, fmt).date()
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise DataError(f"{where}: cannot read date {value!r} (use YYYY-MM-DD)") from None


def period_of(day: date, period: str) -> str:
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{day.year}-{day.month:02d}"


def read_account_types(source: str | Path) -> dict[str, str]:
    """A mapping file: JSON ``{account: type}`` or CSV with columns ``account,type``."""
    path = Path(source)
    if not path.is_file():
        raise DataError(f"{path}: account-type mapping not found")
    if path.suffix.lower() == ".json":
        try:
            mapping = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: invalid JSON ({exc.msg})") from None
        if not isinstance(mapping, dict):
            raise DataError(f"{path}: expected a JSON object {{account: type}}")
        items = list(mapping.items())
    else:
        rows = [row for _, row in iter_file_rows(path)]  # the separator sniffed as for posts
        if rows and not {"account", "type"} <= set(rows[0]):
            raise DataError(f"{path}: needs columns 'account' and 'type'")
        items = [(r["account"], r["type"]) for r in rows]
    return {str(account): check_type(str(kind).strip().lower(), f"{path}, account {account!r}")
            for account, kind in items}


def audit_accounts(data: Any, *, account_type: str | dict[str, str] | Path | None = None,
                   model: Classifier | str | Path | None = None, text_column: str = "text",
                   account_column: str = "account",
                   date_column: str = "date", type_column: str = "account_type",
                   period: str = "month", doubt: float = DEFAULT_DOUBT) -> AuditResult:
    """Audit the posts of one or more accounts for mixing.

    Parameters
    ----------
    data:
        Posts in any format :func:`afzender.train` reads, with ``account_column`` (and,
        optionally, ``date_column`` and ``type_column``).
    account_type:
        ``"corporate"``/``"personal"`` for every account, a ``{account: type}`` dict, or a
        mapping file (JSON or CSV ``account,type``). Falls back to ``type_column``.
    period:
        ``"month"`` or ``"week"`` for the shares over time.
    doubt:
        Posts whose top probability is below this are listed as unsure, not as breaches.

    Returns
    -------
    AuditResult

    Raises
    ------
    DataError
        Missing columns, an account without a type, an unreadable date (with its row).
    """
    if period not in ("month", "week"):
        raise ValueError(f"period must be 'month' or 'week', not {period!r}")
    if isinstance(account_type, (str, Path)) and str(account_type) not in ACCOUNT_TYPES:
        account_type = read_account_types(account_type)
    table = read_table(data, [text_column, account_column],
                       optional=["id", date_column, type_column])
    rows = [str(r) for r in table["_row"]]
    texts = require_texts(table[text_column], rows, text_column)
    accounts = [str(a) for a in table[account_column]]
    types = _resolve_types(accounts, rows, account_type, table.get(type_column))
    dates = table.get(date_column)
    periods = [period_of(parse_date(d, row), period) if d not in (None, "") else "?"
               for d, row in zip(dates, rows)] if dates else ["all"] * len(rows)
    classifier = as_classifier(model)
    results = classifier.classify(texts)
    assert isinstance(results, list)
    flagged = [i for i, r in enumerate(results) if types[accounts[i]] == "corporate"
               and (r.label not in ALLOWED["corporate"] or r.confidence < doubt)]
    reasons = dict(zip(flagged, classifier.explain([texts[i] for i in flagged])))
    ids = table.get("id") or [None] * len(rows)
    audits: dict[str, AccountAudit] = {}
    for i, result in enumerate(results):
        account = accounts[i]
        audit = audits.get(account)
        if audit is None:
            audit = audits[account] = AccountAudit(account, types[account], 0,
                                                   dict.fromkeys(LABELS, 0), {}, {})
        audit.n += 1
        audit.counts[result.label] += 1
        audit.periods.setdefault(periods[i], dict.fromkeys(LABELS, 0))[result.label] += 1
        if i in reasons:
            post = FlaggedPost(rows[i], ids[i], None if not dates else str(dates[i]), texts[i],
                               result.label, round(result.confidence, 4),
                               breached(result.label, audit.account_type),
                               [(w, round(c, 4)) for w, c in reasons[i] if c > 0][:6])
            (audit.unsure if result.confidence < doubt else audit.breaches).append(post)
    mixes = _estimated_mixes(classifier, accounts, results)
    for audit in audits.values():
        audit.shares = {k: round(v / audit.n, 4) for k, v in audit.counts.items()}
        audit.periods = dict(sorted(audit.periods.items()))
        audit.estimated_shares = mixes.get(audit.account)
    info = {k: classifier.metadata.get(k) for k in ("kind", "path", "library_version")}
    return AuditResult(sorted(audits.values(), key=lambda a: a.account), period, doubt, info)


def _estimated_mixes(classifier: Classifier, accounts: list[str],
                     results: list[Any]) -> dict[str, dict[str, float]]:
    """Each account's label mix estimated from its posts' probabilities (EM); none when the
    model does not record the mix it was trained on."""
    try:
        trained = np.array([classifier.trained_mix[label] for label in LABELS])
    except ValueError:
        return {}
    proba = np.array([[r.probabilities[label] for label in LABELS] for r in results])
    by_account: dict[str, list[int]] = {}
    for i, account in enumerate(accounts):
        by_account.setdefault(account, []).append(i)
    return {account: {label: round(float(v), 4)
                      for label, v in zip(LABELS, estimate_mix(proba[idx], trained)[0])}
            for account, idx in by_account.items()}


def _resolve_types(accounts: list[str], rows: list[str], given: Any,
                   column: list[Any] | None) -> dict[str, str]:
    types: dict[str, str] = {}
    for account, row, index in zip(accounts, rows, range(len(rows))):
        if account in types:
            continue
        if isinstance(given, dict) and account in given:
            types[account] = check_type(given[account], f"account {account!r}")
        elif column is not None and column[index] not in (None, ""):
            types[account] = check_type(str(column[index]).strip().lower(), row)
        elif isinstance(given, str):
            types[account] = check_type(given, "account_type")
    missing = sorted(set(accounts) - set(types))
    if missing:
        raise DataError(f"no account type for {', '.join(map(repr, missing[:10]))}; pass "
                        "--account-type corporate|personal, a mapping file, or an "
                        "'account_type' column")
    return types
