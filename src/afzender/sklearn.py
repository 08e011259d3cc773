"""A scikit-learn estimator over afzender, for ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``.

>>> from sklearn.model_selection import GroupKFold, cross_val_score
>>> from afzender.sklearn import AfzenderClassifier
>>> scores = cross_val_score(AfzenderClassifier(C=1.0), texts, labels,       # doctest: +SKIP
...                          groups=accounts, cv=GroupKFold(5), scoring="f1_macro")

``X`` is a sequence of posts (a list, a 1-D array or a pandas Series of ``str``); ``y`` the
labels, spelled as :func:`afzender.train` accepts them. The fitted estimator wraps a
:class:`afzender.Classifier` (``estimator.classifier_``); save it with
``estimator.classifier_.save(folder)``, the safe format. The estimator pickles only as far as
scikit-learn itself needs (``clone`` and joblib's process pools); never load a pickle you do
not trust — use :func:`afzender.load` for model files.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
except ImportError as error:  # pragma: no cover - depends on the install
    raise ImportError("afzender.sklearn needs scikit-learn: pip install 'afzender[train]'") from error

from .classifier import Classifier
from .labels import LABELS, normalize_labels
from .training import train


class AfzenderClassifier(ClassifierMixin, BaseEstimator):
    """afzender as a scikit-learn classifier of posts.

    Parameters
    ----------
    kind : {"linear", "static", "ensemble", "transformer"}
        The backend, as :func:`afzender.train`'s ``model`` (``"static"`` is the shipped
        model's kind).
    C : float, optional
        Inverse regularisation of the linear model; ``None`` lets training choose it on a dev
        split carved from the training posts.
    bits : int, optional
        Hashed feature space of ``2**bits`` (linear, static, ensemble).
    seed : int
        Seed of every random choice.
    options : dict, optional
        Further backend options passed to :func:`afzender.train` (e.g. ``base_model`` for a
        transformer).

    Attributes
    ----------
    classes_ : ndarray of str
        The labels, in :data:`afzender.LABELS` order.
    classifier_ : afzender.Classifier
        The fitted model.
    """

    def __init__(self, kind: str = "linear", C: float | None = None, bits: int | None = None,
                 seed: int = 0, options: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.C = C
        self.bits = bits
        self.seed = seed
        self.options = options

    def fit(self, X: Sequence[str], y: Sequence[Any]) -> AfzenderClassifier:
        """Train on posts ``X`` with labels ``y``."""
        texts = _posts(X)
        labels = list(y)
        if len(labels) != len(texts):
            raise ValueError(f"X has {len(texts)} posts but y has {len(labels)} labels")
        options = dict(self.options or {})
        if self.C is not None:
            options["C"] = self.C
        if self.bits is not None:
            options["bits"] = self.bits
        rows = [{"text": text, "label": label} for text, label in zip(texts, labels)]
        self.classifier_ = train(rows, model=self.kind, seed=self.seed, progress=False, **options)
        self.classes_ = np.array(LABELS)
        self.n_features_in_ = 1
        return self

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Probabilities ``(n, 3)`` in :attr:`classes_` order."""
        return self._fitted().predict_proba(_posts(X))

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """The label of each post."""
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]

    def score(self, X: Sequence[str], y: Sequence[Any], sample_weight: Any = None) -> float:
        """Accuracy, with ``y`` read as loosely as :func:`afzender.train` reads labels."""
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(normalize_labels(list(y)), self.predict(X),
                                    sample_weight=sample_weight))

    def _fitted(self) -> Classifier:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "classifier_")
        return self.classifier_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.target_tags.required = True
        return tags


def _posts(X: Any) -> list[str]:
    """A sequence of posts from a list, a 1-D array, a pandas Series or a one-column frame."""
    if hasattr(X, "columns"):
        if len(X.columns) != 1:
            raise TypeError("X is a DataFrame with several columns: pass the text column, X['text']")
        X = X[X.columns[0]]
    if isinstance(X, str):
        raise TypeError("X is one string: pass a sequence of posts, e.g. [text]")
    array = np.asarray(X, dtype=object)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"X must be a 1-D sequence of posts, got an array of shape {array.shape}")
    posts = array.tolist()
    for index, post in enumerate(posts):
        if not isinstance(post, str):
            raise TypeError(f"X[{index}] is {type(post).__name__}, not a post (str)")
    return posts
