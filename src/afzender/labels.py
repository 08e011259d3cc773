"""The three capacities and the loose spellings accepted for them."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from .errors import DataError

LABELS: tuple[str, ...] = ("minister-in-functie", "partijpoliticus", "privépersoon")

_ALIASES: dict[str, tuple[str, ...]] = {
    "minister-in-functie": (
        "minister in functie", "ministerinfunctie", "in functie", "functie", "minister",
        "bewindspersoon in functie", "overheid", "government", "minister in office", "office",
    ),
    "partijpoliticus": (
        "partijpoliticus", "partijpolitica", "partijpolitiek", "partij", "politicus",
        "party", "party politician", "partisan",
    ),
    "privépersoon": (
        "privepersoon", "prive persoon", "prive", "persoonlijk", "private", "private person",
        "personal",
    ),
}


def _fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.strip().casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace("-", " ").replace("_", " ").split())


_CANONICAL: dict[str, str] = {}
for _label, _spellings in _ALIASES.items():
    for _spelling in (_label, *_spellings):
        _CANONICAL[_fold(_spelling)] = _label


def normalize_label(value: object) -> str | None:
    """Return the canonical label for a loosely spelled one, or ``None`` if unknown."""
    if not isinstance(value, str):
        return None
    return _CANONICAL.get(_fold(value))


def normalize_labels(values: Sequence[object], rows: Sequence[str] | None = None) -> list[str]:
    """Normalise every label; raise one :class:`DataError` listing all unknown values.

    Parameters
    ----------
    values:
        Labels as given by the user.
    rows:
        Where each value comes from ("line 12", "row 3"), for error messages;
        defaults to "index i".

    Raises
    ------
    DataError
        If any value is not a known spelling; the message lists each unknown value and
        the first rows where it occurs.
    """
    result: list[str] = []
    unknown: dict[str, list[str]] = {}
    for index, value in enumerate(values):
        label = normalize_label(value)
        if label is None:
            unknown.setdefault(repr(value), []).append(rows[index] if rows else f"index {index}")
        result.append(label or "")
    if unknown:
        parts = [f"{value} at {', '.join(where[:3])}{', …' if len(where) > 3 else ''}"
                 for value, where in unknown.items()]
        raise DataError(
            f"unknown label value(s): {'; '.join(parts[:10])}. "
            f"Expected one of {', '.join(LABELS)} (loose spellings such as 'functie', "
            f"'partij' or 'prive' are accepted)."
        )
    return result


def label_indices(labels: Sequence[str]) -> list[int]:
    """Map canonical labels to their position in :data:`LABELS`."""
    return [LABELS.index(label) for label in labels]
