"""Fitting the e5 ensemble through the registry's fit protocol."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...inputs.labelled import LabelledData


def fit(data: LabelledData, train_idx: np.ndarray, dev_idx: np.ndarray, *, seed: int = 0,
        progress: bool = True, C: float | None = None, bits: int | None = None,
        embedder: Any = None) -> tuple[Any, dict[str, Any]]:
    """See :func:`afzender.ensemble.train_ensemble`; ``embedder`` replaces the e5 encoder
    (e.g. a cache)."""
    from ...ensemble import train_ensemble

    return train_ensemble(data, seed=seed, C=C, bits=bits, progress=progress, embedder=embedder,
                          split=(train_idx, dev_idx))
