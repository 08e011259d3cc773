"""The linear model: hashed n-gram features, multinomial logistic regression weights,
temperature-scaled softmax. Prediction needs numpy only (no scikit-learn, no torch)."""

from __future__ import annotations

import functools
import itertools
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ...calibration import calibrated_logits, class_prior, evidence_share, softmax
from ...errors import ModelFileError
from ...features import CHAR_NGRAMS, DEFAULT_BITS, Occurrences, feature_matrix, occurrences, word_spans
from ...labels import LABELS
from ...modelfile import ModelFolder, check_finite, check_number, check_temperature, save_arrays
from ...text import SEPARATOR, normalize_joined, prejoin
from ..explain import merge_by_word

try:  # optional C scoring core, compiled by setup.py when a compiler is available
    from ... import _fastcore  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the build
    _fastcore = None

logger = logging.getLogger("afzender")
WEIGHTS = "weights.safetensors"
N_CLASSES = len(LABELS)
SPLIT_ABOVE = 2000  # by default, batches with more posts are scored by two threads (C core)
BITS_RANGE = (8, 24)            # log2 of the hashed feature space a model file may declare
MAX_WEIGHT = 1e4                # largest |weight| or |bias| a model file may hold


def fastcore() -> ModuleType | None:
    """The C scoring core, or None when it is not built or ``AFZENDER_NO_FASTCORE`` is set
    (to anything but ``0``), in which case scoring uses the numpy path (said once on the
    ``afzender`` logger)."""
    if os.environ.get("AFZENDER_NO_FASTCORE", "0") not in ("", "0"):
        _say_numpy_path("AFZENDER_NO_FASTCORE is set")
        return None
    if getattr(_fastcore, "API", 1) < 2:  # missing, or a stale build without the evidence count
        _say_numpy_path("the C core is not built" if _fastcore is None else "the C core is stale")
        return None
    return _fastcore


@functools.cache
def _say_numpy_path(reason: str) -> None:
    logger.info("%s: the linear model scores with the numpy path (same results, slower)", reason)


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
    # Evidence calibration (afzender.calibration): the class prior of the training data
    # and the constant k. None (model files without them): temperature alone.
    prior: np.ndarray | None = None
    evidence_k: float | None = None

    kind = "linear"

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(cls, texts: list[str], y: np.ndarray, *, C: float = 8.0, bits: int = DEFAULT_BITS,
            char_ngrams: tuple[int, ...] = CHAR_NGRAMS,
            sample_weight: np.ndarray | None = None) -> LinearModel:
        """Fit multinomial logistic regression (L2, lbfgs) on IDF-weighted hashed features.

        ``sample_weight`` weighs each post's loss (and its label in the prior); soft labels
        are a post repeated once per class, weighted by that class's probability
        (``benchmarks/distillation.py``).
        """
        from sklearn.linear_model import LogisticRegression

        matrix = feature_matrix(occurrences(normalize_joined(texts), bits, char_ngrams=char_ngrams), bits)
        used = np.unique(matrix.indices)  # fit on the columns that occur: 10x faster lbfgs
        # Smoothed IDF, as scikit-learn's TfidfTransformer; folded into the weights below,
        # so prediction multiplies by nothing extra.
        document_frequency = np.bincount(matrix.indices, minlength=2**bits)[used]
        idf = np.log((1 + matrix.shape[0]) / (1 + document_frequency)) + 1
        classifier = LogisticRegression(C=C, max_iter=3000, tol=1e-5)
        classifier.fit(matrix[:, used].multiply(idf).tocsr(), y, sample_weight=sample_weight)
        used_weights, bias = class_arrays(classifier)
        weights = np.zeros((N_CLASSES, 2**bits))
        weights[:, used] = used_weights * idf
        return cls(weights=weights, bias=bias, bits=bits, char_ngrams=tuple(char_ngrams),
                   config={"C": C},
                   prior=class_prior(np.asarray(y), N_CLASSES, sample_weight), evidence_k=0.0)

    # ---------------------------------------------------------------- prediction
    def logits(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """Calibrated class scores, shape ``(len(texts), n_classes)``: temperature and
        evidence (:func:`afzender.calibration.calibrated_logits`; a post without
        evidence words gets the log prior).

        Uses the C core (:func:`fastcore`) when it is available, else the numpy path;
        both give the same numbers. ``threads`` as for :meth:`raw_scores`.
        """
        return self.logits_and_evidence(texts, threads)[0]

    def logits_and_evidence(self, texts: list[str], threads: int | None = None
                            ) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`logits` and the number of evidence words of each post ``(n,)``."""
        raw, evidence = self.raw_scores(texts, threads)
        return self._calibrate(raw, evidence), evidence

    def raw_scores(self, texts: list[str], threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Weighted feature sums plus bias ``(n, n_classes)`` and the number of evidence
        words of each post ``(n,)``: what :meth:`logits` calibrates.

        ``threads`` splits the batch into that many contiguous parts scored at the same
        time (the C core releases the GIL; every post is scored on its own, so the result
        is the same); ``None``: two threads for batches above :data:`SPLIT_ABOVE` posts
        on a machine with two cores or more (C core), else one.
        """
        if not texts:
            return np.zeros((0, N_CLASSES)), np.zeros(0)
        core = fastcore()
        if threads is None:
            threads = 2 if core is not None and len(texts) > SPLIT_ABOVE and (os.cpu_count() or 1) >= 2 else 1
        parts = max(1, min(threads, len(texts)))
        score = self._score_numpy if core is None else lambda part: self._score_core(core, part)
        if parts == 1:
            return score(texts)
        bounds = [len(texts) * i // parts for i in range(parts + 1)]
        chunks = [texts[a:b] for a, b in itertools.pairwise(bounds)]
        with ThreadPoolExecutor(max_workers=parts - 1) as pool:
            rest = list(pool.map(score, chunks[1:]))
            results = [score(chunks[0]), *rest]
        return np.concatenate([r[0] for r in results]), np.concatenate([r[1] for r in results])

    def _calibrate(self, raw: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        return calibrated_logits(raw, evidence, self.temperature, self.prior, self.evidence_k)

    def _score_numpy(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        occ = self._occurrences(normalize_joined(texts))
        return self._sums(occ), occ.evidence

    def _score_core(self, core: ModuleType, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Raw class sums plus bias and evidence counts from the C core."""
        scores, evidence = core.scores(prejoin(texts), self._contiguous_weights, self.bits,
                                       tuple(self.char_ngrams), True)
        scores += self.bias
        return scores, evidence

    @cached_property
    def _contiguous_weights(self) -> np.ndarray:
        return np.ascontiguousarray(self.weights, dtype=np.float64)

    def _occurrences(self, joined: str, provenance: bool = False) -> Occurrences:
        return occurrences(joined, self.bits, char_ngrams=self.char_ngrams, provenance=provenance)

    def _sums(self, occ: Occurrences) -> np.ndarray:
        scores = np.empty((occ.n_docs, N_CLASSES))
        for k in range(N_CLASSES):
            scores[:, k] = np.bincount(occ.docs, weights=self.weights[k, occ.buckets] * occ.weights,
                                       minlength=occ.n_docs)
        scores += self.bias
        return scores

    def _scores(self, occ: Occurrences) -> np.ndarray:
        """Calibrated logits of the numpy path."""
        return self._calibrate(self._sums(occ), occ.evidence)

    def predict_proba(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        return softmax(self.logits(texts, threads))

    def reference_proba(self, texts: list[str]) -> np.ndarray:
        """Same as :meth:`predict_proba` the plain way (sparse matrix product); for tests."""
        occ = self._occurrences(normalize_joined(texts))
        matrix = feature_matrix(occ, self.bits)
        return softmax(self._calibrate(matrix @ self.weights.T + self.bias, occ.evidence))

    # -------------------------------------------------------------- explanation
    @cached_property
    def centred_weights(self) -> np.ndarray:
        """Each class's weights minus the mean over classes, computed once per model."""
        return self.weights - self.weights.mean(axis=0)

    def explain(self, texts: list[str], top: int = 8) -> list[list[tuple[str, float]]]:
        """The words that pushed each post towards its predicted class.

        Each feature occurrence's contribution to the winning class's score (minus the
        mean over classes) is credited to the word it starts in; a word's contributions
        are summed over all its occurrences in the post, so each word appears once.
        Returns, per post, up to ``top`` ``(word, contribution)`` pairs, the strongest
        first.
        """
        joined = normalize_joined(texts)
        occ = self._occurrences(joined, provenance=True)
        predicted = self._scores(occ).argmax(axis=1)
        scale = (evidence_share(occ.evidence, self.evidence_k) if self.evidence_k is not None
                 else np.ones(occ.n_docs)) / self.temperature
        contribution = self.centred_weights[predicted[occ.docs], occ.buckets] * occ.weights * scale[occ.docs]
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
        return [merge_by_word(items, top) for items in result]

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
        config = {**self.config, "bits": self.bits, "temperature": self.temperature,
                  "char_ngrams": list(self.char_ngrams),
                  "features": "hashed char n-grams + words + word bigrams, counts / sqrt(group size), "
                              "IDF folded into the weights"}
        if self.prior is not None and self.evidence_k is not None:
            config.update(prior=[float(p) for p in self.prior], evidence_k=float(self.evidence_k),
                          evidence="logits = s * scores / temperature + (1 - s) * log(prior), "
                                   "s = e / (e + evidence_k), e = words with a letter or digit, "
                                   "@mentions not counted")
        return config

    @classmethod
    def load(cls, model: ModelFolder, config: dict[str, Any] | None = None) -> LinearModel:
        """The linear model of a verified folder (``config``: the manifest's, or the linear
        part of an ensemble's). Ranges are checked: :data:`BITS_RANGE`,
        :data:`~afzender.calibration.TEMPERATURE_RANGE`, n-gram lengths 1..8, finite weights of magnitude at
        most :data:`MAX_WEIGHT`."""
        config = dict(model.manifest.get("config") or {} if config is None else config)
        where = f"{model.path}: config"
        bits = check_number(config.get("bits"), f"{where}.bits", *BITS_RANGE, integer=True)
        temperature = check_temperature(config.get("temperature"), f"{where}.temperature")
        char_ngrams = config.get("char_ngrams")
        if not (isinstance(char_ngrams, list) and len(char_ngrams) <= 8 and all(
                isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= 8 for n in char_ngrams)):
            raise ModelFileError(f"{where}.char_ngrams must be a list of lengths 1..8")
        path = model.path / WEIGHTS
        arrays = model.arrays(WEIGHTS, {"feature_ids": ("int64", 1), "feature_weights": ("float64", 2),
                                        "bias": ("float64", 1)})
        ids, values, bias = arrays["feature_ids"], arrays["feature_weights"], arrays["bias"]
        if values.shape != (len(ids), N_CLASSES) or bias.shape != (N_CLASSES,):
            raise ModelFileError(f"{path}: array shapes {values.shape}, {bias.shape} "
                                 f"do not fit {N_CLASSES} classes and {len(ids)} features")
        if len(ids) and (ids.min() < 0 or ids.max() >= 2**bits):
            raise ModelFileError(f"{path}: feature ids outside 0..2**{bits}")
        check_finite(path, MAX_WEIGHT, weights=values, biases=bias)
        weights = np.zeros((N_CLASSES, 2**bits))
        weights[:, ids] = values.T
        prior, evidence_k = _load_evidence(config, where)
        for key in ("bits", "temperature", "char_ngrams", "prior", "evidence_k", "evidence"):
            config.pop(key, None)
        return cls(weights=weights, bias=bias, bits=bits, temperature=float(temperature),
                   char_ngrams=tuple(char_ngrams), config=config, prior=prior, evidence_k=evidence_k)


def _load_evidence(config: dict[str, Any], where: str) -> tuple[np.ndarray | None, float | None]:
    """The optional evidence calibration of a manifest: both ``prior`` (class
    probabilities) and ``evidence_k``, or neither (a model saved before it existed)."""
    prior, evidence_k = config.get("prior"), config.get("evidence_k")
    if prior is None and evidence_k is None:
        return None, None
    if not (isinstance(prior, list) and len(prior) == N_CLASSES):
        raise ModelFileError(f"{where}.prior must be a list of {N_CLASSES} probabilities")
    values = [check_number(p, f"{where}.prior", 1e-9, 1.0) for p in prior]
    if abs(sum(values) - 1.0) > 1e-6:
        raise ModelFileError(f"{where}.prior must sum to 1, got {sum(values):.6g}")
    evidence_k = check_number(evidence_k, f"{where}.evidence_k", 0.0, 1e3)
    return np.array(values, dtype=np.float64), float(evidence_k)
