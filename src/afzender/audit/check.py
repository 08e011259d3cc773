"""Check a draft before posting: does its capacity fit the account it is meant for?"""

from __future__ import annotations

from pathlib import Path

from ..classifier import Classifier, as_classifier
from .results import CheckResult
from .rules import ALLOWED, DEFAULT_DOUBT, breached, check_type


def check_draft(text: str, *, account_type: str = "corporate",
                model: Classifier | str | Path | None = None,
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
    check_type(account_type, "account_type")
    result = as_classifier(model).classify(text, explain=True)
    assert not isinstance(result, list)
    return CheckResult(text, account_type, result.label, result.probabilities,
                       result.label in ALLOWED[account_type], result.confidence < doubt,
                       breached(result.label, account_type),
                       [(w, c) for w, c in result.explanation or [] if c > 0][:6])
