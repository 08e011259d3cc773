"""The backends behind :class:`~afzender.Classifier`: the protocol they follow and
:mod:`.registry`, the one list of kinds. Each kind is a folder (``linear/``, ...) with
``model.py`` (prediction, load, save) and ``fit.py`` (training): ``linear/``,
``ensemble/`` (+ ``encoder.py``, its e5 encoder) and ``transformer/``."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Backend(Protocol):
    """What :class:`~afzender.Classifier` needs of a fitted model."""

    kind: str

    def predict_proba(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """Probabilities in :data:`~afzender.LABELS` order; ``threads``: how many threads
        may score this batch (``None``: the backend's choice)."""
        ...

    def explain(self, texts: list[str], top: int = 8) -> list[list[tuple[str, float]]]: ...
    def save(self, folder: Path) -> list[str]: ...
    def manifest_config(self) -> dict[str, Any]: ...
