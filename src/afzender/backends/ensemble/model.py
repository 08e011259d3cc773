"""The e5 ensemble: the linear model mixed with a logistic-regression head on frozen
multilingual-e5-small sentence embeddings (:mod:`.encoder`).

Pretrained semantics carry over to real posts better than n-grams learned from the corpus
alone, at a price: the encoder embeds tens of posts per second on two cores, where the
linear model scores tens of thousands. ``benchmarks/results/accuracy.md`` has both sides
of that trade.

The mix is a weighted sum of the two models' log-probabilities divided by a temperature,
both chosen on held-out posts (see :func:`afzender.backends.ensemble.fit.fit`). A post
without evidence words gets the linear model's answer alone, the class prior.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...calibration import TEMPERATURE_RANGE, log_softmax, softmax
from ...errors import ModelFileError
from ...labels import LABELS
from ...modelfile import ModelFolder, check_finite, check_number, save_arrays
from ..linear.model import MAX_WEIGHT, LinearModel
from .encoder import E5_DIM, ENCODER, E5Encoder, Embedder

HEAD = "e5_head.safetensors"
N_CLASSES = len(LABELS)


def mix_logits(linear_log_proba: np.ndarray, head_log_proba: np.ndarray, mix: float) -> np.ndarray:
    """The mixture's logits before the temperature; ``mix`` is the linear model's share."""
    return mix * linear_log_proba + (1 - mix) * head_log_proba


@dataclass
class EnsembleModel:
    """The linear model plus an e5 head; ``mix`` is the linear model's share.

    ``encoder`` embeds the posts (default: :class:`~.encoder.E5Encoder`, its engine chosen
    by :func:`~.encoder.resolve_engine`); a trained model and the same model loaded from
    disk get the same one. Any callable ``encoder(texts) -> (n, 384)`` array that returns
    what :func:`~.encoder.embed` returns may replace it (e.g. a cache); it is called with
    ``threads=`` only when a prediction asks for threads.
    """

    linear: LinearModel
    head_weights: np.ndarray   # (n_classes, dim) float64
    head_bias: np.ndarray      # (n_classes,) float64
    mix: float
    temperature: float = 1.0
    encoder: Embedder = field(default_factory=E5Encoder, compare=False)

    kind = "ensemble"

    def head_log_proba(self, embeddings: np.ndarray) -> np.ndarray:
        return log_softmax(embeddings @ self.head_weights.T + self.head_bias)

    def embed(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """The posts' embeddings through :attr:`encoder`."""
        return self.encoder(texts) if threads is None else self.encoder(texts, threads=threads)

    def head_part(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """The head's log-probabilities of the posts."""
        return self.head_log_proba(self.embed(texts, threads))

    def logits(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """The mixture's logits; a post without evidence words (no word with a letter or
        digit: an emoji, a bare link) gets the linear part's, the log prior, as from the
        linear model alone. ``threads``: for the linear part (see
        :meth:`~afzender.backends.linear.model.LinearModel.raw_scores`) and the encoder."""
        linear, evidence = self.linear.logits_and_evidence(texts, threads)
        linear = log_softmax(linear)
        mixed = mix_logits(linear, self.head_part(texts, threads), self.mix) / self.temperature
        return np.where((np.asarray(evidence) > 0)[:, None], mixed, linear)

    def predict_proba(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        return softmax(self.logits(texts, threads))

    def explain(self, texts: list[str], top: int = 8) -> list[list[tuple[str, float]]]:
        """The linear part's word contributions (the encoder offers no word-level account)."""
        return self.linear.explain(texts, top)

    # ------------------------------------------------------------------ storage
    def save(self, folder: Path) -> list[str]:
        return [*self.linear.save(folder), save_head(self, folder)]

    def mixture_config(self) -> dict[str, Any]:
        """The manifest config of the parts every mixture has (:func:`load_mixture` reads it)."""
        return {"linear": self.linear.manifest_config(), "mix": self.mix, "temperature": self.temperature}

    def manifest_config(self) -> dict[str, Any]:
        return {**self.mixture_config(), "encoder": ENCODER, "encoder_dim": E5_DIM}

    @classmethod
    def load(cls, model: ModelFolder, *, encoder: Embedder | None = None) -> EnsembleModel:
        """Load from a verified model folder; ``encoder`` as for the constructor."""
        dim = _config(model).get("encoder_dim")
        if dim != E5_DIM:
            raise ModelFileError(f"{model.path}: config.encoder_dim must be {E5_DIM} "
                                 f"(multilingual-e5-small), got {dim!r:.40}")
        return cls(**load_mixture(model, E5_DIM), encoder=encoder or E5Encoder())


def _config(model: ModelFolder) -> dict[str, Any]:
    config = model.manifest.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("linear"), dict):
        raise ModelFileError(f"{model.path}: config.linear is missing")
    return config


def load_mixture(model: ModelFolder, dim: int) -> dict[str, Any]:
    """The fields of a mixture but its encoder (``linear``, ``head_weights``, ``head_bias``,
    ``mix``, ``temperature``) from a verified folder, the head checked against ``dim``."""
    config = _config(model)
    mix = check_number(config.get("mix"), f"{model.path}: config.mix", 0, 1)
    temperature = check_number(config.get("temperature"), f"{model.path}: config.temperature",
                               *TEMPERATURE_RANGE)
    weights, bias = load_head(model, dim)
    return {"linear": LinearModel.load(model, config["linear"]), "head_weights": weights,
            "head_bias": bias, "mix": float(mix), "temperature": float(temperature)}


def save_head(model: EnsembleModel, folder: Path) -> str:
    """Write the head's weights and bias to :data:`HEAD` in ``folder``; its name."""
    save_arrays(folder / HEAD, {"weights": model.head_weights.astype(np.float64),
                                "bias": model.head_bias.astype(np.float64)})
    return HEAD


def load_head(model: ModelFolder, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The head's ``(weights, bias)`` from a verified folder, checked against ``dim``."""
    arrays = model.arrays(HEAD, {"weights": ("float64", 2), "bias": ("float64", 1)})
    weights, bias = arrays["weights"], arrays["bias"]
    if weights.shape != (N_CLASSES, dim) or bias.shape != (N_CLASSES,):
        raise ModelFileError(f"{model.path / HEAD}: array shapes {weights.shape}, {bias.shape} "
                             f"do not fit {N_CLASSES} classes and {dim} dimensions")
    check_finite(model.path / HEAD, MAX_WEIGHT, weights=weights, biases=bias)
    return weights, bias
