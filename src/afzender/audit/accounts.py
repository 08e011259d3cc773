"""The "geen vermenging" rule as a tool: audit accounts, check a draft before posting.

A corporate minister account may carry only policy (``minister-in-functie``); party
politics there breaks *geen vermenging*, private content breaks the rule that government
communication is about policy and that the sender must be recognisable (*herkenbaarheid*).
Personal accounts may carry all three capacities; their shares are reported, nothing is a
breach. Posts whose top probability is below the doubt threshold are listed apart as
*twijfel* instead of being counted as breaches.
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from .errors import DataError
from .labels import LABELS

ACCOUNT_TYPES = ("corporate", "personal")
ALLOWED = {"corporate": {"minister-in-functie"}, "personal": set(LABELS)}
PRINCIPLE = {"partijpoliticus": "geen vermenging", "privépersoon": "herkenbaarheid"}
DEFAULT_DOUBT = 0.6
AUDIT_FILES = ("audit.json", "audit.md", "audit.html")


def _model(model: Any):
    from .classifier import Classifier, default_classifier, load

    if isinstance(model, Classifier):
        return model
    return default_classifier() if model is None else load(model)


# --------------------------------------------------------------------- check
@dataclass
class CheckResult:
    """Verdict on one draft for one account type."""

    text: str
    account_type: str
    label: str
    probabilities: dict[str, float]
    fits: bool
    unsure: bool
    principle: str | None
    words: list[tuple[str, float]]

    @property
    def exit_code(self) -> int:
        return 0 if self.fits else 1

    def message(self, lang: str = "nl") -> str:
        from .reports import check_message

        return check_message(self, lang)


def check_draft(text: str, *, account_type: str = "corporate", model: Any = None,
                doubt: float = DEFAULT_DOUBT) -> CheckResult:
    """Check a draft post against the account it is meant for.

    Parameters
    ----------
    text:
        The draft.
    account_type:
        ``"corporate"`` (policy only) or ``"personal"``.
    doubt:
        Below this top probability the verdict is marked unsure (*twijfel*).

    Returns
    -------
    CheckResult
        ``fits`` is false when the predicted capacity is not allowed on the account type;
        ``principle`` names the rule a mismatch touches.

    Raises
    ------
    TypeError, ValueError
        ``text`` is not a str, or an unknown ``account_type``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    _check_type(account_type, "account_type")
    result = _model(model).classify(text, explain=True)
    fits = result.label in ALLOWED[account_type]
    return CheckResult(text, account_type, result.label, result.probabilities, fits,
                       result.confidence < doubt, None if fits else PRINCIPLE.get(result.label),
                       [(w, c) for w, c in result.explanation or [] if c > 0][:6])


def _check_type(value: Any, where: str) -> str:
    if value not in ACCOUNT_TYPES:
        raise ValueError(f"{where}: account type must be one of {', '.join(ACCOUNT_TYPES)}, "
                         f"got {value!r}")
    return value


# --------------------------------------------------------------------- audit
@dataclass
class FlaggedPost:
    row: str
    id: Any
    date: str | None
    text: str
    label: str
    probability: float
    principle: str | None
    words: list[tuple[str, float]]


@dataclass
class AccountAudit:
    account: str
    account_type: str
    n: int
    counts: dict[str, int]
    shares: dict[str, float]
    periods: dict[str, dict[str, int]]          # period -> label -> count
    breaches: list[FlaggedPost] = field(default_factory=list)
    unsure: list[FlaggedPost] = field(default_factory=list)


@dataclass
class AuditResult:
    """Per-account counts, shares over time, breaches and unsure posts."""

    accounts: list[AccountAudit]
    period: str
    doubt: float
    model: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self, lang: str = "nl") -> str:
        from .reports import audit_markdown

        return audit_markdown(self, lang)

    def to_html(self, lang: str = "nl") -> str:
        from .reports import audit_html

        return audit_html(self, lang)

    def write(self, folder: str | Path, lang: str = "nl") -> list[Path]:
        """Write ``audit.json``, ``audit.md`` and ``audit.html`` into ``folder``."""
        from .outputs import write_text_atomic

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        bodies = (self.to_json(), self.to_markdown(lang), self.to_html(lang))
        return [write_text_atomic(folder / name, body) for name, body in zip(AUDIT_FILES, bodies)]


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
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        if rows and not {"account", "type"} <= set(rows[0]):
            raise DataError(f"{path}: needs columns 'account' and 'type'")
        items = [(r["account"], r["type"]) for r in rows]
    return {str(account): _check_type(str(kind).strip().lower(), f"{path}, account {account!r}")
            for account, kind in items}


def audit_accounts(data: Any, *, account_type: str | dict[str, str] | Path | None = None,
                   model: Any = None, text_column: str = "text", account_column: str = "account",
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
    from .io import read_table

    if period not in ("month", "week"):
        raise ValueError(f"period must be 'month' or 'week', not {period!r}")
    if isinstance(account_type, (str, Path)) and str(account_type) not in ACCOUNT_TYPES:
        account_type = read_account_types(account_type)
    table = read_table(data, [text_column, account_column],
                       optional=[c for c in ("id", date_column, type_column)])
    rows = [str(r) for r in table["_row"]]
    texts = table[text_column]
    for row, text in zip(rows, texts):
        if not isinstance(text, str):
            raise DataError(f"{row}: {text_column!r} is not text")
    accounts = [str(a) for a in table[account_column]]
    types = _resolve_types(accounts, rows, account_type, table.get(type_column))
    dates = table.get(date_column)
    periods = [period_of(parse_date(d, row), period) if d not in (None, "") else "?"
               for d, row in zip(dates, rows)] if dates else ["all"] * len(rows)
    classifier = _model(model)
    results = classifier.classify(texts)
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
                               PRINCIPLE.get(result.label) if result.label not in
                               ALLOWED[audit.account_type] else None,
                               [(w, round(c, 4)) for w, c in reasons[i] if c > 0][:6])
            (audit.unsure if result.confidence < doubt else audit.breaches).append(post)
    for audit in audits.values():
        audit.shares = {k: round(v / audit.n, 4) for k, v in audit.counts.items()}
        audit.periods = dict(sorted(audit.periods.items()))
    info = {k: classifier.metadata.get(k) for k in ("kind", "path", "library_version")}
    return AuditResult(sorted(audits.values(), key=lambda a: a.account), period, doubt, info)


def _resolve_types(accounts: list[str], rows: list[str], given: Any,
                   column: list[Any] | None) -> dict[str, str]:
    types: dict[str, str] = {}
    for account, row, index in zip(accounts, rows, range(len(rows))):
        if account in types:
            continue
        if isinstance(given, dict) and account in given:
            types[account] = _check_type(given[account], f"account {account!r}")
        elif column is not None and column[index] not in (None, ""):
            types[account] = _check_type(str(column[index]).strip().lower(), row)
        elif isinstance(given, str):
            types[account] = _check_type(given, "account_type")
    missing = sorted(set(accounts) - set(types))
    if missing:
        raise DataError(f"no account type for {', '.join(map(repr, missing[:10]))}; pass "
                        "--account-type corporate|personal, a mapping file, or an "
                        "'account_type' column")
    return types


