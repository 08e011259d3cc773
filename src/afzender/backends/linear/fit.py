"""Fitting the linear model: C chosen on dev by the one-standard-error rule, calibration
on dev, then a refit on train + dev (needs the ``train`` extra: scikit-learn, scipy)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...calibration import can_calibrate, fit_calibration
from ...features import DEFAULT_BITS
from ...inputs.labelled import LabelledData
from .model import BITS_RANGE, LinearModel

C_GRID = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)

logger = logging.getLogger("afzender")


@dataclass
class LinearSelection:
    """What the held-out dev part decided for a linear model."""

    probe: LinearModel         # fitted on the train part, calibrated on dev
    train_idx: np.ndarray
    dev_idx: np.ndarray
    info: dict[str, Any]


def check_bits(bits: int | None) -> int:
    """``bits`` (default :data:`~afzender.features.DEFAULT_BITS`) if a model file may
    declare it, else a ``ValueError``."""
    bits = bits or DEFAULT_BITS
    if isinstance(bits, bool) or not isinstance(bits, int) or not BITS_RANGE[0] <= bits <= BITS_RANGE[1]:
        raise ValueError(f"bits must be an integer in {BITS_RANGE[0]}..{BITS_RANGE[1]} (a model "
                         f"file may not declare more), got {bits!r}")
    return bits


def select_linear(data: LabelledData, train_idx: np.ndarray, dev_idx: np.ndarray, *,
                  C: float | None = None, bits: int | None = None,
                  progress: bool = True) -> LinearSelection:
    """Fit on ``train_idx``, choose C on ``dev_idx`` (one-standard-error rule, see
    :func:`one_standard_error`) and calibrate the temperature and evidence constant there."""
    from sklearn.metrics import f1_score
    from tqdm.auto import tqdm

    bits = check_bits(bits)
    y = data.y
    grid = sorted((C,) if C else C_GRID)
    dev_texts = [data.texts[i] for i in dev_idx]
    models, scores = {}, {}
    for c in tqdm(grid, desc="fitting (C grid)", unit="fit", disable=not progress or len(grid) == 1):
        models[c] = LinearModel.fit([data.texts[i] for i in train_idx], y[train_idx], C=c, bits=bits)
        if len(dev_idx) == 0:
            break
        scores[c] = f1_score(y[dev_idx], models[c].logits(dev_texts).argmax(1), average="macro")
    chosen, rule = one_standard_error(scores, len(dev_idx)) if scores and not C else (grid[0], None)
    probe = models[chosen]
    if can_calibrate(y[dev_idx]):
        assert probe.prior is not None  # LinearModel.fit sets it
        raw, evidence = probe.raw_scores(dev_texts)
        probe.temperature, probe.evidence_k = fit_calibration(raw, evidence, y[dev_idx], probe.prior)
    logger.info("linear model: C=%s (%s), temperature %.3f, evidence k %.3f on %d dev posts",
                chosen, "one-standard-error rule" if rule else "given or no dev", probe.temperature,
                probe.evidence_k, len(dev_idx))
    info = {"C": chosen, "dev_macro_f1": round(scores[chosen], 4) if scores else None,
            "dev_macro_f1_by_C": {str(c): round(v, 4) for c, v in scores.items()},
            "C_selection": rule or ("given (--C)" if C else "no dev rows: the smallest C of the grid")}
    return LinearSelection(probe, train_idx, dev_idx, info)


def one_standard_error(scores: dict[float, float], n_dev: int) -> tuple[float, dict[str, Any]]:
    """The one-standard-error rule: the smallest C (the strongest regularisation) whose dev
    macro-F1 is within one standard error of the best, so the chosen C is often not the one
    with the highest dev score. The corpus is cleaner than real posts, and the simpler model
    transfers better to them. The standard error is that of an accuracy, ``sqrt(F1 (1 - F1) / n_dev)``.

    Returns
    -------
    tuple
        The chosen C and a record of the rule for the manifest.
    """
    best_c = max(scores, key=lambda c: scores[c])
    best = scores[best_c]
    standard_error = float(np.sqrt(best * (1 - best) / n_dev))
    chosen = min(c for c, score in scores.items() if score >= best - standard_error)
    return chosen, {
        "rule": "one standard error: the smallest C (strongest regularisation) whose dev "
                "macro-F1 is at least the best dev macro-F1 minus one standard error "
                "sqrt(F1 * (1 - F1) / n_dev)",
        "best_C": best_c, "best_dev_macro_f1": round(best, 4), "n_dev": int(n_dev),
        "standard_error": round(standard_error, 4),
        "threshold": round(best - standard_error, 4), "chosen_C": chosen}


def refit(data: LabelledData, selection: LinearSelection) -> tuple[LinearModel, dict[str, Any]]:
    """Refit on train + dev with the chosen C, keeping the dev calibration."""
    probe, y = selection.probe, data.y
    fit_idx = np.concatenate([selection.train_idx, selection.dev_idx])
    final = LinearModel.fit([data.texts[i] for i in fit_idx], y[fit_idx], C=probe.config["C"],
                            bits=probe.bits)
    final.temperature, final.evidence_k = probe.temperature, probe.evidence_k
    info = {**selection.info,
            "calibration": f"temperature {probe.temperature:.4f} and evidence constant k "
                           f"{probe.evidence_k:.4f} fitted on {len(selection.dev_idx)} held-out "
                           f"posts, then refitted on {len(fit_idx)} posts; a post without words "
                           "gets the class prior of the training data"}
    return final, info


def fit(data: LabelledData, train_idx: np.ndarray, dev_idx: np.ndarray, *, seed: int = 0,
        progress: bool = True, C: float | None = None,
        bits: int | None = None) -> tuple[LinearModel, dict[str, Any]]:
    """The backend's fit (see :mod:`afzender.backends.registry`): :func:`select_linear`, then
    :func:`refit`. ``C`` fixes C (default: chosen on dev); ``bits`` is log2 of the hashed
    feature space. The fit is deterministic, so ``seed`` is unused."""
    return refit(data, select_linear(data, train_idx, dev_idx, C=C, bits=bits, progress=progress))
