"""Labelled posts: read, validated and checked for being trainable."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import DataError, DataWarning
from ..labels import label_indices, normalize_labels
from .posts import require_texts
from .splits import rows_text
from .tables import read_table

#: The fewest usable posts a model is trained on.
MIN_EXAMPLES = 6


@dataclass
class LabelledData:
    """Validated labelled posts with the row each came from."""

    texts: list[str]
    labels: list[str]
    rows: list[str]
    columns: dict[str, list[Any]] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    n_rows: int = 0

    def subset(self, keep: np.ndarray) -> LabelledData:
        """The rows ``keep`` (indices), in that order."""
        def pick(values: list[Any]) -> list[Any]:
            return [values[i] for i in keep]

        return LabelledData(pick(self.texts), pick(self.labels), pick(self.rows),
                            {k: pick(v) for k, v in self.columns.items()}, self.excluded, len(keep))

    @property
    def y(self) -> np.ndarray:
        """The labels as indices into :data:`afzender.LABELS`."""
        return np.array(label_indices(self.labels))

    def sha256(self) -> str:
        """Hash of the (text, label) pairs, for the manifest."""
        payload = json.dumps(list(zip(self.texts, self.labels)), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def read_labelled(data: Any, *, text_column: str = "text", label_column: str = "label",
                  optional: tuple[str, ...] = ("id", "account", "split")) -> LabelledData:
    """Read and validate labelled posts; see :func:`afzender.train` for the rules.

    Raises
    ------
    DataError
        Missing columns, unknown labels, non-text values (each with its row).
    """
    table = read_table(data, [text_column, label_column], optional=optional)
    rows = [str(r) for r in table["_row"]]
    labels = normalize_labels(table[label_column], rows)
    texts = require_texts(table[text_column], rows, text_column)
    keep: list[int] = []
    empty: list[int] = []
    for index, text in enumerate(texts):
        (keep if text.strip() else empty).append(index)
    extra = {name: table[name] for name in optional if name in table}
    result = LabelledData(texts, labels, rows, extra, n_rows=len(rows))
    if empty:
        warnings.warn(f"{len(empty)} empty post(s) not used for training: "
                      f"{rows_text([rows[i] for i in empty])}", DataWarning, stacklevel=3)
        excluded = {"empty text": [rows[i] for i in empty]}
        result = result.subset(np.array(keep, dtype=int))
        result.excluded, result.n_rows = excluded, len(rows)
    _warn_duplicates(result)
    return result


def _warn_duplicates(data: LabelledData) -> None:
    ids = data.columns.get("id")
    if ids:
        seen: dict[Any, list[str]] = defaultdict(list)
        for value, row in zip(ids, data.rows):
            if value is not None:
                seen[value].append(row)
        dup = {k: v for k, v in seen.items() if len(v) > 1}
        if dup:
            sample = "; ".join(f"{k!r} at {rows_text(v, 3)}" for k, v in list(dup.items())[:5])
            warnings.warn(f"{len(dup)} duplicate id(s): {sample}", DataWarning, stacklevel=4)
    by_text: dict[str, set[str]] = defaultdict(set)
    where: dict[str, list[str]] = defaultdict(list)
    for text, label, row in zip(data.texts, data.labels, data.rows):
        key = " ".join(text.split()).casefold()
        by_text[key].add(label)
        where[key].append(row)
    conflicts = [key for key, labels in by_text.items() if len(labels) > 1]
    if conflicts:
        sample = "; ".join(rows_text(where[k], 3) for k in conflicts[:5])
        warnings.warn(f"{len(conflicts)} text(s) occur with different labels (kept): {sample}",
                      DataWarning, stacklevel=4)


def check_trainable(data: LabelledData) -> None:
    """At least :data:`MIN_EXAMPLES` posts and two labels.

    Raises
    ------
    DataError
        Too few posts, or a single label.
    """
    counts = Counter(data.labels)
    if len(data.texts) < MIN_EXAMPLES:
        raise DataError(f"too few examples to train: {len(data.texts)} usable posts, "
                        f"need at least {MIN_EXAMPLES}")
    if len(counts) < 2:
        raise DataError(f"all usable posts have the label {next(iter(counts))!r}; "
                        "training needs at least two labels")
