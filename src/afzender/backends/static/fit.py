"""Fitting the static model through the registry's fit protocol (needs the ``train`` extra)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ...inputs.labelled import LabelledData
from ..ensemble.fit import fit_mixture
from .model import ENCODER, StaticModel
from .vectors import read_vectors

#: The head's regularisation on mean piece vectors (unnormalised, so weaker than the e5
#: head's 4.0): chosen on the corpus dev split, where C = 4, 16, 64, 256 gave macro-F1
#: 0.792, 0.807, 0.806, 0.808 for a head alone fitted on the train split.
HEAD_C = 16.0


def fit(data: LabelledData, train_idx: np.ndarray, dev_idx: np.ndarray, *, seed: int = 0,
        progress: bool = True, C: float | None = None, bits: int | None = None,
        vectors: str | os.PathLike[str] | None = None) -> tuple[StaticModel, dict[str, Any]]:
    """Fit the static model (see :mod:`afzender.backends.registry` for the protocol): the
    e5 ensemble's fit (:func:`~afzender.backends.ensemble.fit.fit_mixture`) with static
    e5 vectors as the encoder.

    ``vectors``: a folder holding the vectors (``models/static-vectors`` or any static
    model folder); ``None``, the shipped ones. The fit is deterministic, so ``seed`` is
    unused.
    """
    encoder = read_vectors(vectors)
    parts, info = fit_mixture(data, train_idx, dev_idx, embed=encoder, progress=progress,
                              C=C, bits=bits, encoder_name=ENCODER, head_C=HEAD_C)
    return StaticModel(**parts, encoder=encoder), {**info, "vectors": encoder.config()}
