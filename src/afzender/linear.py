"""The linear model: hashed n-gram features, multinomial logistic regression weights,
temperature-scaled softmax. Prediction needs numpy only (no scikit-learn, no torch)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .errors import ModelFileError
from .features import (CHAR_NGRAMS, DEFAULT_BITS, Occurrences, feature_matrix, occurrences,
                       word_spans)
from .labels import LABELS
from .modelfile import load_arrays, save_arrays
from .text import SEPARATOR, normalize_joined, prejoin

try:  # optional C scoring core, compiled by setup.py when a compiler is available
    from . import _fastcore
except ImportError:  # pragma: no cover - depends on the build
    _fastcore = None

WEIGHTS = "weights.safetensors"
N_CLASSES = len(LABELS)
SPLIT_ABOVE = 2000  # batches with more posts are scored by two threads (C core only)


def fastcore() -> ModuleType | None:
    """The C scoring core, or None when it is not built or ``AFZENDER_NO_FASTCORE`` is set
    (to anything but ``0``), in which case scoring uses the numpy path."""
    if os.environ.get("AFZENDER_NO_FASTCORE", "0") not in ("", "0"):
        return None
    return _fastcore


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=1, keepdims=True)
    return shifted


def class_arrays(classifier: Any) -> tuple[np.ndarray, np.ndarray]:
    """A fitted scikit-learn ``LogisticRegression`` as weights ``(n_classes, n_features)``
    and bias ``(n_classes,)`` over all of :data:`LABELS`, for softmax scoring.

    With two classes scikit-learn keeps one row (for ``classes_[1]``); the other class
    gets zeros, which gives the same probabilities. A class absent from training gets bias
    -1e3, so it is never predicted.
    """
    coef, intercept = classifier.coef_, classifier.intercept_
    if len(classifier.classes_) == 2:
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, intercept[0]])
    weights = np.zeros((N_CLASSES, coef.shape[1]))
    bias = np.full(N_CLASSES, -1e3)
    weights[classifier.classes_] = coef
    bias[classifier.classes_] = intercept
    return weights, bias


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@dataclass
class LinearModel:
    """Weights of a fitted linear model.

    ``weights[k]`` holds, for class ``k``, the weight of each of the ``2**bits`` hashed
    features (one contiguous row per class, so scoring gathers from three flat arrays).
    """

    weights: np.ndarray            # (n_classes, 2**bits) float64
    bias: np.ndarray               # (n_classes,) float64
    bits: int = DEFAULT_BITS
    temperature: float = 1.0
    char_ngrams: tuple[int, ...] = CHAR_NGRAMS
    config: dict[str, Any] = field(default_factory=dict)

    kind = "linear"

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(cls, texts: list[str], y: np.ndarray, *, C: float = 8.0, bits: int = DEFAULT_BITS,
            char_ngrams: tuple[int, ...] = CHAR_NGRAMS) -> "LinearModel":
        """Fit multinomial logistic regression (L2, lbfgs) on IDF-weighted hashed features."""
        from sklearn.linear_model import LogisticRegression

        matrix = feature_matrix(occurrences(normalize_joined(texts), bits, char_ngrams=char_ngrams), bits)
        used = np.unique(matrix.indices)  # fit on the columns that occur: 10x faster lbfgs
        # Smoothed IDF, as scikit-learn's TfidfTransformer; folded into the weights below,
        # so prediction multiplies by nothing extra.
        document_frequency = np.bincount(matrix.indices, minlength=2**bits)[used]
        idf = np.log((1 + matrix.shape[0]) / (1 + document_frequency)) + 1
        classifier = LogisticRegression(C=C, max_iter=3000, tol=1e-5)
        classifier.fit(matrix[:, used].multiply(idf).tocsr(), y)
        used_weights, bias = class_arrays(classifier)
        weights = np.zeros((N_CLASSES, 2**bits))
        weights[:, used] = used_weights * idf
        return cls(weights=weights, bias=bias, bits=bits, char_ngrams=tuple(char_ngrams),
                   config={"C": C})

    # ---------------------------------------------------------------- prediction
    def logits(self, texts: list[str]) -> np.ndarray:
        """Temperature-scaled class scores, shape ``(len(texts), n_classes)``.

        Uses the C core (:func:`fastcore`) when it is available, else the numpy path;
        both give the same numbers.
        """
        core = fastcore()
        if core is None:
            return self._scores(self._occurrences(normalize_joined(texts)))
        scores = self._core_sums(core, texts)
        scores += self.bias
        scores /= self.temperature
        return scores

    def _core_sums(self, core: ModuleType, texts: list[str]) -> np.ndarray:
        """Raw class sums from the C core; a large batch is split over two threads (the
        core releases the GIL, and every post is scored on its own, so the result is
        the same)."""
        weights = np.ascontiguousarray(self.weights, dtype=np.float64)
        ngrams = tuple(self.char_ngrams)

        def run(part: list[str]) -> np.ndarray:
            return core.scores(prejoin(part), weights, self.bits, ngrams)

        if len(texts) <= SPLIT_ABOVE or (os.cpu_count() or 1) < 2:
            return run(texts)
        half = len(texts) // 2
        with ThreadPoolExecutor(max_workers=1) as pool:
            second = pool.submit(run, texts[half:])
            first = run(texts[:half])
            return np.concatenate([first, second.result()])

    def _occurrences(self, joined: str, provenance: bool = False) -> Occurrences:
        return occurrences(joined, self.bits, char_ngrams=self.char_ngrams, provenance=provenance)

    def _scores(self, occ: Occurrences) -> np.ndarray:
        scores = np.empty((occ.n_docs, N_CLASSES))
        for k in range(N_CLASSES):
            scores[:, k] = np.bincount(occ.docs, weights=self.weights[k, occ.buckets] * occ.weights,
                                       minlength=occ.n_docs)
        scores += self.bias
        scores /= self.temperature
        return scores

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return softmax(self.logits(texts))

    def reference_proba(self, texts: list[str]) -> np.ndarray:
        """Same as :meth:`predict_proba` the plain way (sparse matrix product); for tests."""
        matrix = feature_matrix(self._occurrences(normalize_joined(texts)), self.bits)
        return softmax((matrix @ self.weights.T + self.bias) / self.temperature)

    # -------------------------------------------------------------- explanation
    def explain(self, texts: list[str], top: int = 8) -> list[list[tuple[str, float]]]:
        """The words that pushed each post towards its predicted class.

        Each feature occurrence's contribution to the winning class's score (minus the
        mean over classes) is credited to the word it starts in; a word's contributions
        are summed. Returns, per post, up to ``top`` ``(word, contribution)`` pairs, the
        strongest first.
        """
        joined = normalize_joined(texts)
        occ = self._occurrences(joined, provenance=True)
        predicted = self._scores(occ).argmax(axis=1)
        centred = self.weights - self.weights.mean(axis=0)
        contribution = centred[predicted[occ.docs], occ.buckets] * occ.weights / self.temperature
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        word_starts, word_ends = word_spans(codes)
        word_docs = (np.cumsum(codes == ord(SEPARATOR)) - 1)[word_starts]
        # An n-gram that starts on the space before a word belongs to that word.
        first_char = np.minimum(occ.starts + (codes[occ.starts] == ord(" ")), len(codes) - 1)
        owners = np.searchsorted(word_starts, first_char, side="right") - 1
        totals = np.bincount(owners, weights=contribution, minlength=len(word_starts))
        result: list[list[tuple[str, float]]] = [[] for _ in texts]
        for word in np.flatnonzero(totals):
            text = joined[word_starts[word]:word_ends[word]]
            result[word_docs[word]].append((text, float(totals[word])))
        return [sorted(items, key=lambda item: -abs(item[1]))[:top] for items in result]

    # ------------------------------------------------------------------ storage
    def save(self, folder: Path) -> list[str]:
        used = np.flatnonzero(np.any(self.weights != 0, axis=0)).astype(np.int64)
        save_arrays(folder / WEIGHTS, {
            "feature_ids": used,
            "feature_weights": self.weights[:, used].T.copy(),
            "bias": self.bias.astype(np.float64),
        })
        return [WEIGHTS]

    def manifest_config(self) -> dict[str, Any]:
        return {**self.config, "bits": self.bits, "temperature": self.temperature,
                "char_ngrams": list(self.char_ngrams),
                "features": "hashed char n-grams + words + word bigrams, counts / sqrt(group size), "
                            "IDF folded into the weights"}

    @classmethod
    def load(cls, folder: Path, manifest: dict[str, Any]) -> "LinearModel":
        config = dict(manifest.get("config") or {})
        bits = config.get("bits")
        temperature = config.get("temperature")
        if not isinstance(bits, int) or not 8 <= bits <= 26:
            raise ModelFileError(f"{folder}: config.bits must be an integer in 8..26, got {bits!r}")
        if not isinstance(temperature, (int, float)) or not 0 < temperature < 1e3:
            raise ModelFileError(f"{folder}: config.temperature must be a positive number")
        char_ngrams = config.get("char_ngrams")
        if not (isinstance(char_ngrams, list) and all(isinstance(n, int) and 1 <= n <= 8
                                                      for n in char_ngrams)):
            raise ModelFileError(f"{folder}: config.char_ngrams must be a list of lengths 1..8")
        arrays = load_arrays(folder / WEIGHTS, {"feature_ids": ("int64", 1),
                                                "feature_weights": ("float64", 2),
                                                "bias": ("float64", 1)})
        ids, values, bias = arrays["feature_ids"], arrays["feature_weights"], arrays["bias"]
        if values.shape != (len(ids), N_CLASSES) or bias.shape != (N_CLASSES,):
            raise ModelFileError(f"{folder / WEIGHTS}: array shapes {values.shape}, {bias.shape} "
                                 f"do not fit {N_CLASSES} classes and {len(ids)} features")
        if len(ids) and (ids.min() < 0 or ids.max() >= 2**bits):
            raise ModelFileError(f"{folder / WEIGHTS}: feature ids outside 0..2**{bits}")
        if not (np.isfinite(values).all() and np.isfinite(bias).all()):
            raise ModelFileError(f"{folder / WEIGHTS}: weights contain NaN or infinity")
        weights = np.zeros((N_CLASSES, 2**bits))
        weights[:, ids] = values.T
        for key in ("bits", "temperature", "char_ngrams"):
            config.pop(key)
        return cls(weights=weights, bias=bias, bits=bits, temperature=float(temperature),
                   char_ngrams=tuple(char_ngrams), config=config)
