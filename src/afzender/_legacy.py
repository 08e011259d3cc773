"""The old signatures of ``afzender.training.select_linear``, ``train_linear`` and
``afzender.ensemble.train_ensemble`` (row indices as ``split=``, planned when absent), kept
for one release behind the deprecated names; new code uses the backends' ``fit``."""

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
    return _select(data, *_split(data, seed, split), C=C, bits=bits, progress=progress)


def _split(data: LabelledData, seed: int,
           split: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """``split``, else the train and dev rows that :func:`plan_split` plans."""
    if split is None:
        planned = plan_split(data.rows, data.columns, seed)
        split = (planned.train, planned.dev)
    return split


def train_linear(data: LabelledData, *, seed: int = 0, C: float | None = None,
                 bits: int | None = None, progress: bool = True,
                 selection: LinearSelection | None = None,
                 split: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, dict[str, Any]]:
    """See :func:`afzender.backends.linear.fit.fit`."""
    selection = selection or select_linear(data, seed=seed, C=C, bits=bits, progress=progress,
                                           split=split)
    return refit(data, selection)


def train_ensemble(data: LabelledData, *, seed: int = 0, C: float | None = None,
                   bits: int | None = None, progress: bool = True, embedder: Any = None,
                   split: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, dict[str, Any]]:
    """See :func:`afzender.backends.ensemble.fit.fit`."""
    from .backends.ensemble.fit import fit

    return fit(data, *_split(data, seed, split), seed=seed, C=C, bits=bits, progress=progress,
               embedder=embedder)
