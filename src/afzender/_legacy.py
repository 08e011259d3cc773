"""The old signatures of ``afzender.training.select_linear`` and ``train_linear`` (row
indices as ``split=``, planned when absent), kept for one release behind the deprecated
names; new code uses :mod:`afzender.backends.linear.fit`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .backends.linear.fit import LinearSelection, refit
from .backends.linear.fit import select_linear as _select
from .inputs.labelled import LabelledData
from .inputs.splits import plan_split


def select_linear(data: LabelledData, *, seed: int = 0, C: float | None = None,
                  bits: int | None = None, progress: bool = True,
                  split: tuple[np.ndarray, np.ndarray] | None = None) -> LinearSelection:
    """See :func:`afzender.backends.linear.fit.select_linear`."""
    if split is None:
        planned = plan_split(data.rows, data.columns, seed)
        split = (planned.train, planned.dev)
    return _select(data, *split, C=C, bits=bits, progress=progress)


def train_linear(data: LabelledData, *, seed: int = 0, C: float | None = None,
                 bits: int | None = None, progress: bool = True,
                 selection: LinearSelection | None = None,
                 split: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, dict[str, Any]]:
    """See :func:`afzender.backends.linear.fit.fit`."""
    selection = selection or select_linear(data, seed=seed, C=C, bits=bits, progress=progress,
                                           split=split)
    return refit(data, selection)
