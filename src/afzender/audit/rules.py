"""The rules of the seed: which capacities an account type may carry, and why not.

A corporate minister account may carry only policy (``minister-in-functie``); party
politics there breaks *geen vermenging*, private content breaks the rule that government
communication is about policy and that the sender must be recognisable (*herkenbaarheid*).
Personal accounts may carry all three capacities; their shares are reported, nothing is a
breach. Posts whose top probability is below the doubt threshold are listed apart as
*twijfel* instead of being counted as breaches.
"""

from __future__ import annotations

from typing import Any

from ..labels import LABELS

ACCOUNT_TYPES = ("corporate", "personal")
ALLOWED = {"corporate": {"minister-in-functie"}, "personal": set(LABELS)}
PRINCIPLE = {"partijpoliticus": "geen vermenging", "privépersoon": "herkenbaarheid"}
DEFAULT_DOUBT = 0.6


def check_type(value: Any, where: str) -> str:
    """``value`` if it is one of :data:`ACCOUNT_TYPES`, else a ``ValueError`` naming ``where``."""
    if value not in ACCOUNT_TYPES:
        raise ValueError(f"{where}: account type must be one of {', '.join(ACCOUNT_TYPES)}, "
                         f"got {value!r}")
    return value


def breached(label: str, account_type: str) -> str | None:
    """The principle a post with ``label`` breaks on an ``account_type`` account, or None."""
    return None if label in ALLOWED[account_type] else PRINCIPLE.get(label)
