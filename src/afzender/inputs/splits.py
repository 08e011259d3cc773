"""Which rows are fitted on (train), which choose and calibrate (dev), which are only
evaluated (test): one computation that serves every backend, training and evaluation.

Rules
-----
- A ``split`` column is honoured whatever its values: ``train``, ``dev`` or ``validation``
  (both mean dev), ``test`` (case and surrounding spaces ignored). Any other value is a
  :class:`~afzender.DataError` naming the rows. ``test`` rows are never fitted on.
- Dev comes from the ``dev``/``validation`` rows; when there are none, it is carved from the
  train rows: whole accounts at a time when there is an ``account`` column with at least
  :data:`MIN_ACCOUNTS` accounts, else single rows (and the metadata says so).
- Without a split column every row is a train row, and dev is carved as above.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError

SPLIT_ROLES = {"train": "train", "dev": "dev", "validation": "dev", "test": "test"}
MIN_ACCOUNTS = 5
DEV_FRACTION = 0.2


def rows_text(rows: Sequence[str], limit: int = 5) -> str:
    """``"line 2, line 5 and 3 more"``: the first ``limit`` rows and a count of the rest."""
    rows = list(rows)
    return ", ".join(rows[:limit]) + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def compact_rows(rows: Sequence[str]) -> str:
    """All ``rows`` (``"line 7"``, ``"index 3"``, ...) as ranges: ``"line 2-41, 45"``."""
    numbers: dict[str, list[int]] = defaultdict(list)
    other: list[str] = []
    for row in rows:
        match = re.fullmatch(r"(\D*?) ?(\d+)", str(row))
        if match:
            numbers[match.group(1)].append(int(match.group(2)))
        else:
            other.append(str(row))
    parts = []
    for prefix, values in numbers.items():
        values.sort()
        ranges: list[list[int]] = []
        for value in values:
            if ranges and value == ranges[-1][1] + 1:
                ranges[-1][1] = value
            else:
                ranges.append([value, value])
        listed = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ranges)
        parts.append(f"{prefix} {listed}".strip())
    return "; ".join(parts + other)


def split_roles(values: Sequence[Any], rows: Sequence[str]) -> np.ndarray:
    """The role (``train``, ``dev`` or ``test``) of each row from its ``split`` value.

    Raises
    ------
    DataError
        A value that is not ``train``, ``dev``, ``validation`` or ``test``, with its rows.
    """
    roles, unknown = [], defaultdict(list)
    for value, row in zip(values, rows):
        role = SPLIT_ROLES.get(value.strip().lower()) if isinstance(value, str) else None
        if role is None:
            unknown[repr(value)].append(row)
        roles.append(role)
    if unknown:
        listed = "; ".join(f"{value} at {rows_text(where, 3)}" for value, where in unknown.items())
        raise DataError(f"unknown split value(s): {listed}; the split column may hold train, "
                        "dev (or validation) and test")
    return np.array(roles, dtype=object)


def carve(candidates: np.ndarray, accounts: Sequence[Any] | None, seed: int,
          fraction: float = DEV_FRACTION) -> tuple[np.ndarray, np.ndarray, str]:
    """Hold out about ``fraction`` of ``candidates`` (row indices), whole accounts at a time
    when there are at least :data:`MIN_ACCOUNTS`; return ``(kept, held, how)``."""
    rng = np.random.default_rng(seed)
    n = len(candidates)
    own = [accounts[i] for i in candidates] if accounts else None
    if own and len(set(own)) >= MIN_ACCOUNTS:
        names = sorted({str(a) for a in own})
        rng.shuffle(names)
        held_names = set(names[: max(1, round(len(names) * fraction))])
        mask = np.array([str(a) in held_names for a in own])
        how = (f"by account: {len(held_names)} of {len(names)} accounts held out "
               f"(seed {seed}): {', '.join(sorted(held_names))}")
    else:
        mask = np.zeros(n, dtype=bool)
        if n:
            mask[rng.permutation(n)[: max(1, round(n * fraction))]] = True
        why = ("no account column" if not accounts else
               f"only {len(set(own or []))} account(s), fewer than {MIN_ACCOUNTS}")
        how = (f"by row ({why}): {int(mask.sum())} of {n} rows held out at random (seed {seed}); "
               "posts of one sender may be on both sides")
    return candidates[~mask], candidates[mask], how


@dataclass
class Split:
    """Row indices of each role, and how dev was chosen."""

    train: np.ndarray
    dev: np.ndarray
    test: np.ndarray
    source: str
    dev_from: str

    def describe(self, rows: Sequence[str]) -> dict[str, Any]:
        """For ``metadata["training"]["split"]``: how, and exactly which rows served each role."""
        described: dict[str, Any] = {"source": self.source, "dev_from": self.dev_from}
        for role in ("train", "dev", "test"):
            index = getattr(self, role)
            described[role] = {"n": len(index), "rows": compact_rows([rows[i] for i in index])}
        return described


def plan_split(rows: Sequence[str], columns: dict[str, list[Any]], seed: int,
               fraction: float = DEV_FRACTION) -> Split:
    """Train, dev and test indices for labelled rows (see the module's rules).

    Raises
    ------
    DataError
        An unknown split value, or a split column without train rows.
    """
    n = len(rows)
    values = columns.get("split")
    accounts = columns.get("account")
    if values is None:
        train, dev, how = carve(np.arange(n), accounts, seed, fraction)
        return Split(train, dev, np.zeros(0, dtype=int), "no split column: every row may be "
                     "trained on", f"carved from the rows {how}")
    roles = split_roles(values, rows)
    train = np.flatnonzero(roles == "train")
    dev = np.flatnonzero(roles == "dev")
    test = np.flatnonzero(roles == "test")
    if not len(train):
        raise DataError(f"the split column has no train rows ({len(dev)} dev, {len(test)} test); "
                        "at least some rows must have split 'train'")
    if len(dev):
        dev_from = "split column: the dev/validation rows"
    else:
        train, dev, how = carve(train, accounts, seed, fraction)
        dev_from = f"carved from the train rows {how}"
    return Split(train, dev, test, "split column (test rows are never fitted on)", dev_from)


def select_rows(rows: Sequence[str], values: Sequence[Any] | None, split: str | None,
                where: str) -> tuple[np.ndarray, str]:
    """Rows to evaluate: ``split=None`` is the test split when there is a split column, else
    every row; ``"all"`` is every row; else one role (``train``, ``dev``/``validation``,
    ``test``). Returns the indices and a description of what was scored.

    Raises
    ------
    DataError
        An unknown split value in the data or in ``split``, or no rows in the chosen split.
    """
    n = len(rows)
    if split == "all" or (split is None and values is None):
        reason = "" if split == "all" else ", no split column"
        return np.arange(n), f"all rows ({n} posts{reason})"
    wanted = SPLIT_ROLES.get(split.strip().lower()) if isinstance(split, str) else None
    if wanted is None and split is not None:
        raise DataError(f"split must be train, dev, validation, test or all, not {split!r}")
    if values is None:
        raise DataError(f"{where}: no split column to choose split {split!r} from; "
                        "leave the split out (or use 'all') to score every row")
    roles = split_roles(values, rows)
    wanted = wanted or "test"
    index = np.flatnonzero(roles == wanted)
    if not len(index):
        present = ", ".join(sorted(set(roles))) or "none"
        raise DataError(f"{where}: no rows in split {wanted!r} (splits present: {present}); "
                        "choose one with split= (--split), or 'all'")
    default = " (the default when there is a split column)" if split is None else ""
    return index, f"split {wanted}{default}: {len(index)} of {n} posts"


def dataset_dict_rows(data: Any) -> Any:
    """Flatten a ``datasets.DatasetDict`` into rows whose ``split`` is their split's name
    (in key order, so ``index`` rows count through the splits one after the other)."""
    if type(data).__module__.startswith("datasets") and hasattr(data, "keys") \
            and not hasattr(data, "features"):
        return [{**row, "split": split} for split in data for row in data[split]]
    return data


def hold_out_test(rows: Sequence[dict[str, Any]], *, account_column: str = "account",
                  fraction: float = DEV_FRACTION, seed: int = 0) -> tuple[list[dict[str, Any]], str]:
    """Give rows without a split column one: about ``fraction`` of them ``test`` (whole
    accounts when ``account_column`` names at least :data:`MIN_ACCOUNTS` accounts, else
    single rows), the rest ``train``. Returns the new rows and how the test rows were chosen.
    """
    has_accounts = any(row.get(account_column) not in (None, "") for row in rows)
    accounts = [row.get(account_column) for row in rows] if has_accounts else None
    _, held, how = carve(np.arange(len(rows)), accounts, seed, fraction)
    test = set(held.tolist())
    marked = [{**row, "split": "test" if i in test else "train"} for i, row in enumerate(rows)]
    return marked, f"test rows chosen {how}"
