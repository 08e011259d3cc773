"""Evidence-dependent calibration of the linear model.

A temperature alone scales every post's scores alike. But a post without words (``""``,
``👍``, a bare link) has only the bias to go on, and the bias of a logistic regression on
normalised features is no prior: such posts got near-certain labels. So the calibrated
logits of a post with ``e`` evidence words (:func:`afzender.features.evidence_words`) are

    share(e) * (scores / T) + (1 - share(e)) * log(prior),    share(e) = e / (e + k),

a geometric mix of the model and the class prior of its training data: a post without
evidence gets the prior exactly, and a post with few words leans towards it. ``T`` and
``k`` are fitted together on held-out posts by log loss (:func:`fit_calibration`), so
short posts are as confident as they are accurate there. A model without ``prior`` and
``k`` (an older model file) is scaled by the temperature alone, as before.

Also the shared maths of every backend: :func:`softmax`, :func:`log_softmax`,
:func:`log_loss` and the plain temperature (:func:`fit_temperature`).

Prediction needs numpy only; fitting imports scipy.
"""

from __future__ import annotations

import numpy as np

K_BOUNDS = (1e-3, 1e3)  # the fitted evidence constant k stays in this range
TEMPERATURE_RANGE = (1e-2, 1e2)  # a calibration temperature outside this is not plausible


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax (computed in place on a shifted copy)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log of :func:`softmax`, computed stably."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def log_loss(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of ``y`` under ``softmax(logits)``."""
    return float(-log_softmax(logits)[np.arange(len(y)), y].mean())


def can_calibrate(y_dev: np.ndarray) -> bool:
    """Whether held-out labels ``y_dev`` can fit a calibration: at least two labels."""
    return len(set(np.asarray(y_dev).tolist())) > 1


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log loss of ``softmax(logits / T)`` on ``y``."""
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(lambda log_t: log_loss(logits / np.exp(log_t), y), bounds=(-3, 3),
                             method="bounded")
    return float(np.exp(result.x))


def evidence_share(evidence: np.ndarray, k: float) -> np.ndarray:
    """``e / (e + k)`` per post, and 0 where ``e == 0`` (also for ``k == 0``)."""
    evidence = np.asarray(evidence, dtype=np.float64)
    return np.divide(evidence, evidence + k, out=np.zeros_like(evidence), where=evidence > 0)


def calibrated_logits(raw: np.ndarray, evidence: np.ndarray, temperature: float,
                      prior: np.ndarray | None = None, k: float | None = None) -> np.ndarray:
    """The model's logits from ``raw`` class scores (bias included) and the evidence.

    Parameters
    ----------
    raw:
        ``(n, n_classes)`` weighted feature sums plus bias.
    evidence:
        ``(n,)`` number of evidence words of each post.
    temperature:
        Divides the scores.
    prior, k:
        Class prior (probabilities) and evidence constant; when either is ``None`` the
        logits are ``raw / temperature`` (models saved before this calibration existed).

    Returns
    -------
    numpy.ndarray
        ``(n, n_classes)`` logits; ``softmax`` of a row without evidence is ``prior``.
    """
    scaled = raw / temperature
    if prior is None or k is None:
        return scaled
    share = evidence_share(evidence, k)[:, None]
    return share * scaled + (1.0 - share) * np.log(prior)


def fit_calibration(raw: np.ndarray, evidence: np.ndarray, y: np.ndarray,
                    prior: np.ndarray) -> tuple[float, float]:
    """The temperature ``T`` and evidence constant ``k`` that minimise the log loss of
    :func:`calibrated_logits` on held-out posts ``y`` (deterministic: same input, same
    numbers).

    Returns
    -------
    tuple
        ``(T, k)``, ``T`` in ``exp(±3)`` and ``k`` in :data:`K_BOUNDS`.
    """
    from scipy.optimize import minimize

    def loss(params: np.ndarray) -> float:
        t, k = np.exp(params)
        return log_loss(calibrated_logits(raw, evidence, t, prior, k), y)

    start = np.log([fit_temperature(raw, y), 1.0])
    bounds = [(-3.0, 3.0), tuple(np.log(K_BOUNDS))]
    result = minimize(loss, start, method="Nelder-Mead", bounds=bounds,
                      options={"xatol": 1e-6, "fatol": 1e-10, "maxiter": 2000})
    t, k = np.exp(result.x)
    return float(t), float(k)


def class_prior(y: np.ndarray, n_classes: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Share of each class among the training labels ``y``, each counted with its weight
    when ``weights`` are given (a class never seen gets a tiny share, so its log stays
    finite)."""
    counts = np.bincount(y, weights=weights, minlength=n_classes).astype(np.float64)
    counts = np.maximum(counts, 1e-6 * max(counts.sum(), 1.0))
    return counts / counts.sum()
