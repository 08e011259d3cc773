"""Label mix: the share of each label among a set of posts, and probabilities under a
mix other than the one a model was trained on.

A model's probabilities carry the label mix of its training data: the corpus has a
quarter of minister-in-functie posts, an MP's timeline or a party account far fewer. When
the mix of the posts at hand is known, Bayes' rule moves the probabilities to it
(:func:`shift_probabilities`); when it is not, it can be estimated from the posts
themselves, without labels, by the EM procedure of Saerens, Latinne & Decaestecker (2002,
"Adjusting the outputs of a classifier to new a priori probabilities", Neural Computation
14(1)) (:func:`estimate_mix`). Both assume that only the mix changes, not how each label is
written, and that the model's probabilities are calibrated on its training data.

Numpy only. :class:`afzender.Classifier` offers both as ``estimate_mix`` and ``with_mix``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .labels import LABELS, normalize_label

EM_TOLERANCE = 1e-8     # stop when no share moves more than this
EM_MAX_ITERATIONS = 10_000


def check_mix(mix: Any, what: str = "mix") -> np.ndarray:
    """A label mix as shares in :data:`LABELS` order, summing to one.

    ``mix`` maps every label (its name or an alias the labels accept) to a positive,
    finite number; the numbers are scaled to sum to one, so percentages do as well.

    Raises
    ------
    TypeError
        ``mix`` is not a mapping.
    ValueError
        A label missing, unknown or given twice, or a share that is not a positive, finite
        number (each is named).
    """
    if not isinstance(mix, Mapping):
        raise TypeError(f"{what} must map each label to its share, e.g. "
                        f"{{{', '.join(repr(label) + ': ...' for label in LABELS)}}}, "
                        f"not {type(mix).__name__}")
    shares: dict[str, float] = {}
    for key, value in mix.items():
        label = normalize_label(key)
        if label is None:
            raise ValueError(f"{what}: unknown label {key!r}; the labels are {', '.join(LABELS)}")
        if label in shares:
            raise ValueError(f"{what}: label {label!r} is given twice")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{what}: the share of {label!r} must be a positive, finite number, "
                             f"not {value!r:.40}")
        shares[label] = float(value)
    missing = [label for label in LABELS if label not in shares]
    if missing:
        raise ValueError(f"{what}: no share for {', '.join(map(repr, missing))}")
    values = np.array([shares[label] for label in LABELS])
    return values / values.sum()


def as_mapping(shares: np.ndarray) -> dict[str, float]:
    return {label: float(share) for label, share in zip(LABELS, shares)}


def shift_probabilities(proba: np.ndarray, trained: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``proba`` (rows in :data:`LABELS` order) under the label mix ``target`` instead of
    ``trained``: each probability times ``target / trained``, rows scaled to sum to one."""
    weighted = proba * (target / trained)
    return weighted / weighted.sum(axis=1, keepdims=True)


def estimate_mix(proba: np.ndarray, trained: np.ndarray) -> tuple[np.ndarray, int]:
    """The label mix of the posts behind ``proba`` (Saerens et al., 2002), and the number
    of EM iterations it took.

    Starting from ``trained``, each step moves the probabilities to the current estimate
    (:func:`shift_probabilities`) and takes their mean as the next one, until no share moves
    more than :data:`EM_TOLERANCE`.

    Raises
    ------
    ValueError
        No posts.
    """
    if not len(proba):
        raise ValueError("no posts to estimate a label mix from")
    estimate, iterations = trained.copy(), 0
    while iterations < EM_MAX_ITERATIONS:
        iterations += 1
        updated = shift_probabilities(proba, trained, estimate).mean(axis=0)
        converged = np.abs(updated - estimate).max() < EM_TOLERANCE
        estimate = updated
        if converged:
            break
    return estimate, iterations
