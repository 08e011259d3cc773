"""Fitting the e5 ensemble through the registry's fit protocol (needs the ``train`` and
``e5`` extras)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...calibration import fit_temperature, log_loss, log_softmax
from ...inputs.labelled import LabelledData
from ..linear.fit import LinearSelection, refit, select_linear
from ..linear.model import class_arrays
from .encoder import ENCODER, E5Encoder, Embedder, encoder_version
from .model import EnsembleModel, mix_logits

MIX_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
HEAD_C = 4.0   # the e5 head's regularisation (unit-length embeddings)


def fit_head(embeddings: np.ndarray, y: np.ndarray, C: float = HEAD_C) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression on the embeddings, as ``(weights, bias)``."""
    from sklearn.linear_model import LogisticRegression

    return class_arrays(LogisticRegression(C=C, max_iter=3000, tol=1e-6).fit(embeddings, y))


def choose_mix(data: LabelledData, selection: LinearSelection, embeddings: np.ndarray,
               head_C: float = HEAD_C) -> tuple[float, float, dict[float, float], str]:
    """The mix and temperature with the lowest log loss on the dev part: an e5 head fitted
    on the train part, mixed with the selection's probe at each mix in :data:`MIX_GRID`,
    each mix with its own temperature.

    Returns
    -------
    tuple
        ``(mix, temperature, dev log loss by mix, how they were chosen)``; without a dev
        part holding two labels, the defaults 0.5 and 1.0.
    """
    train_idx, dev_idx, y = selection.train_idx, selection.dev_idx, data.y
    if not len(dev_idx) or len(set(y[dev_idx])) < 2:
        return 0.5, 1.0, {}, "defaults: no held-out part with two labels to choose them on"
    head_weights, head_bias = fit_head(embeddings[train_idx], y[train_idx], head_C)
    linear_lp = log_softmax(selection.probe.logits([data.texts[i] for i in dev_idx]))
    head_lp = log_softmax(embeddings[dev_idx] @ head_weights.T + head_bias)
    temperatures, losses = {}, {}
    for candidate in MIX_GRID:
        mixed = mix_logits(linear_lp, head_lp, candidate)
        temperatures[candidate] = fit_temperature(mixed, y[dev_idx])
        losses[candidate] = log_loss(mixed / temperatures[candidate], y[dev_idx])
    mix = min(losses, key=lambda m: losses[m])
    return mix, temperatures[mix], losses, f"chosen by log loss on {len(dev_idx)} held-out posts"


def fit_mixture(data: LabelledData, train_idx: np.ndarray, dev_idx: np.ndarray, *,
                embed: Embedder, progress: bool, C: float | None, bits: int | None,
                encoder_name: str, head_C: float = HEAD_C) -> tuple[dict[str, Any], dict[str, Any]]:
    """What the ensemble and the static model share: the linear selection, the head on
    ``embed``'s vectors, the mix chosen on dev, both refitted on train + dev.

    Returns
    -------
    tuple
        ``(parts, info)``: ``parts`` holds ``linear``, ``head_weights``, ``head_bias``,
        ``mix`` and ``temperature`` (the model's fields but its encoder), ``info`` the
        training record.
    """
    selection = select_linear(data, train_idx, dev_idx, C=C, bits=bits, progress=progress)
    embeddings = embed(data.texts, progress=progress)
    mix, temperature, losses, how = choose_mix(data, selection, embeddings, head_C)
    final_linear, info = refit(data, selection)
    head_weights, head_bias = fit_head(embeddings, data.y, head_C)
    info = {**info, "encoder": encoder_name, "mix": mix, "head_C": head_C,
            "mix_dev_log_loss": {str(k): round(v, 4) for k, v in losses.items()},
            "calibration": f"mix {mix} (linear share) and temperature {temperature:.4f}, {how}; "
                           f"linear part: {info['calibration']}"}
    return {"linear": final_linear, "head_weights": head_weights, "head_bias": head_bias,
            "mix": mix, "temperature": temperature}, info


def fit(data: LabelledData, train_idx: np.ndarray, dev_idx: np.ndarray, *, seed: int = 0,
        progress: bool = True, C: float | None = None, bits: int | None = None,
        embedder: Embedder | None = None) -> tuple[EnsembleModel, dict[str, Any]]:
    """Fit the ensemble (see :mod:`afzender.backends.registry` for the protocol).

    The linear model's own selection (:func:`~afzender.backends.linear.fit.select_linear`)
    gives a linear model fitted on the train part and calibrated on the dev part; an e5
    head is fitted on the same train part, and :func:`choose_mix` picks the mix and its
    temperature on dev. Both parts are then refitted on train + dev (:func:`fit_mixture`).

    ``embedder`` computes the training embeddings instead of the model's encoder (e.g. a
    cache); it must return what :func:`~afzender.backends.ensemble.encoder.embed` returns.
    It is not kept: the fitted model embeds through the default encoder
    (:class:`~afzender.backends.ensemble.encoder.E5Encoder`), as the same model loaded
    from disk does. The fit is deterministic, so ``seed`` is unused.
    """
    encoder = E5Encoder()
    parts, info = fit_mixture(data, train_idx, dev_idx, embed=embedder or encoder,
                              progress=progress, C=C, bits=bits, encoder_name=ENCODER)
    return EnsembleModel(**parts, encoder=encoder), {**info, "encoder_version": encoder_version()}
