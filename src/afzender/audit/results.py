"""What an audit and a check find, as plain data; :mod:`.render` turns them into text."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..outputs import write_text_atomic
from . import render

AUDIT_FILES = ("audit.json", "audit.md", "audit.html")


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
        return render.check_message(self, lang)


@dataclass
class FlaggedPost:
    """A post an audit lists: a breach, or one the model is unsure about."""

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
    """One account: counts and shares per label, per period, and its flagged posts."""

    account: str
    account_type: str
    n: int
    counts: dict[str, int]
    shares: dict[str, float]
    periods: dict[str, dict[str, int]]          # period -> label -> count
    breaches: list[FlaggedPost] = field(default_factory=list)
    unsure: list[FlaggedPost] = field(default_factory=list)
    # the label mix estimated from the probabilities (EM, afzender.label_mix), which is closer
    # than ``shares`` when the account's mix is far from the training mix; None when the
    # model does not record its training mix
    estimated_shares: dict[str, float] | None = None


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
        return render.audit_markdown(self, lang)

    def to_html(self, lang: str = "nl") -> str:
        return render.audit_html(self, lang)

    def write(self, folder: str | Path, lang: str = "nl") -> list[Path]:
        """Write ``audit.json``, ``audit.md`` and ``audit.html`` into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        bodies = (self.to_json(), self.to_markdown(lang), self.to_html(lang))
        return [write_text_atomic(folder / name, body) for name, body in zip(AUDIT_FILES, bodies)]


