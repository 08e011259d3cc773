"""Metrics: accuracy, macro-F1 with a bootstrap interval by account, calibration error
overall and by post length, confusion matrix, shares predicted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..labels import LABELS, label_indices

N_BINS = 10
# Post lengths (characters of the text as given) for calibration by length: short posts
# carry little evidence, and their confidence must still match their accuracy.
LENGTH_BUCKETS: tuple[tuple[str, int, float], ...] = (
    ("<40", 0, 40), ("40–80", 40, 80), ("80–160", 80, 160), ("≥160", 160, float("inf")))


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, n_bins: int = N_BINS
                               ) -> tuple[float, list[dict[str, float]]]:
    """ECE of the top-label confidence over ``n_bins`` equal-width bins, and the bins."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, n_bins - 1)
    ece, bins = 0.0, []
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            gap = abs(correct[mask].mean() - confidence[mask].mean())
            ece += mask.mean() * gap
            bins.append({"lower": float(edges[b]), "upper": float(edges[b + 1]),
                         "n": int(mask.sum()), "confidence": float(confidence[mask].mean()),
                         "accuracy": float(correct[mask].mean())})
    return float(ece), bins


def calibration_by_length(proba: np.ndarray, y: np.ndarray, texts: Sequence[str]
                          ) -> dict[str, dict[str, Any]]:
    """Per :data:`LENGTH_BUCKETS` bucket of post length: ``n``, ``accuracy``, mean top-label
    ``confidence`` and ``ece`` (:func:`expected_calibration_error` within the bucket)."""
    lengths = np.array([len(text) for text in texts])
    result: dict[str, dict[str, Any]] = {}
    for name, low, high in LENGTH_BUCKETS:
        mask = (lengths >= low) & (lengths < high)
        if not mask.any():
            result[name] = {"n": 0}
            continue
        part = proba[mask]
        result[name] = {"n": int(mask.sum()),
                        "accuracy": round(float((part.argmax(axis=1) == y[mask]).mean()), 4),
                        "confidence": round(float(part.max(axis=1).mean()), 4),
                        "ece": round(expected_calibration_error(part, y[mask])[0], 4)}
    return result


def bootstrap_macro_f1(y: np.ndarray, pred: np.ndarray, groups: Sequence[Any] | None,
                       n: int = 1000, seed: int = 0, *,
                       minus: np.ndarray | None = None) -> tuple[float, float]:
    """95 % percentile interval of macro-F1, resampling groups (accounts) when given; with
    ``minus`` (another system's predictions of the same posts), of the paired difference
    macro-F1(``pred``) − macro-F1(``minus``), both scored on each resample."""
    from sklearn.metrics import f1_score

    def macro_f1(p: np.ndarray, pick: np.ndarray) -> float:
        return float(f1_score(y[pick], p[pick], average="macro", labels=range(len(LABELS)),
                              zero_division=0))

    rng = np.random.default_rng(seed)
    if groups is None:
        units = [np.array([i]) for i in range(len(y))]
    else:
        index: dict[Any, list[int]] = {}
        for i, g in enumerate(groups):
            index.setdefault(g, []).append(i)
        units = [np.array(v) for v in index.values()]
    scores = []
    for _ in range(n):
        pick = np.concatenate([units[i] for i in rng.integers(0, len(units), len(units))])
        scores.append(macro_f1(pred, pick) - (0.0 if minus is None else macro_f1(minus, pick)))
    low, high = np.percentile(scores, [2.5, 97.5])
    return float(low), float(high)


def compute_metrics(labels: Sequence[str], proba: np.ndarray, *,
                    groups: Sequence[Any] | None = None, bootstrap: int = 1000,
                    seed: int = 0, present_only: bool = False,
                    texts: Sequence[str] | None = None) -> dict[str, Any]:
    """All metrics for canonical ``labels`` and predicted probabilities ``proba``; with
    the posts' ``texts`` also ``ece_by_length`` (:func:`calibration_by_length`).

    Returns
    -------
    dict
        ``n``, ``accuracy``, ``macro_f1``, ``macro_f1_ci95`` (when ``bootstrap``),
        ``per_class`` (precision, recall, f1, support), ``per_class_f1``,
        ``confusion_matrix`` (rows: true, columns: predicted, in LABELS order),
        ``ece``, ``reliability`` bins and ``share_predicted``. Macro-F1 averages over
        all three labels, or with ``present_only`` over the labels that occur in the
        truth or the predictions (for subgroups that lack a label).
    """
    y = np.array(label_indices(labels), dtype=np.int64)
    pred = proba.argmax(axis=1)
    k = len(LABELS)
    # numpy, not scikit-learn: the same numbers (zero_division=0) without its per-call
    # overhead, which made a breakdown by 2,000 values take seconds
    matrix = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    hits, support, predicted = np.diag(matrix), matrix.sum(axis=1), matrix.sum(axis=0)
    precision = np.divide(hits, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(hits, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(2 * hits, support + predicted, out=np.zeros(k), where=support + predicted > 0)
    averaged = (support + predicted > 0) if present_only else np.ones(k, dtype=bool)
    ece, bins = expected_calibration_error(proba, y)
    result: dict[str, Any] = {
        "n": len(y),
        "accuracy": round(float(hits.sum() / max(len(y), 1)), 4),
        "macro_f1": round(float(f1[averaged].mean()) if averaged.any() else 0.0, 4),
        "per_class": {label: {"precision": round(float(p), 4), "recall": round(float(r), 4),
                              "f1": round(float(f), 4), "support": int(s)}
                      for label, p, r, f, s in zip(LABELS, precision, recall, f1, support)},
        "per_class_f1": {label: round(float(f), 4) for label, f in zip(LABELS, f1)},
        "confusion_matrix": matrix.tolist(),
        "ece": round(ece, 4),
        "reliability": bins,
        "share_predicted": {label: round(float((pred == k).mean()), 4)
                            for k, label in enumerate(LABELS)},
    }
    if bootstrap:
        low, high = bootstrap_macro_f1(y, pred, groups, bootstrap, seed)
        result["macro_f1_ci95"] = [round(low, 4), round(high, 4)]
        result["ci_resampled"] = "accounts" if groups is not None else "posts"
    if texts is not None:
        result["ece_by_length"] = calibration_by_length(proba, y, texts)
    return result
