"""afzender: in which capacity does a Dutch government member speak in a post?

``minister-in-functie``, ``partijpoliticus`` or ``privépersoon``.

>>> import afzender
>>> afzender.predict("Vanaf 1 juni gaan de musea weer open.")  # doctest: +SKIP
'minister-in-functie'
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._version import __version__
from .audit.accounts import audit_accounts
from .audit.check import check_draft
from .audit.results import AuditResult, CheckResult
from .classifier import Classifier, Result, default_classifier, load
from .errors import DataError, ModelFileError
from .evaluation.report import EvaluationReport, evaluate_model
from .labels import LABELS
from .mapping import map_fn
from .training import train

logging.getLogger("afzender").addHandler(logging.NullHandler())

__all__ = ["LABELS", "Classifier", "DataError", "ModelFileError", "Result", "__version__",
           "audit", "check", "classify", "evaluate", "load", "map_fn", "predict", "predict_proba",
           "train"]


def predict(texts: str | Iterable[str], *, column: str | None = None,
            batch_size: int | None = None, threads: int | None = None) -> str | list[str]:
    """Label of each post with the shipped model (one label for one str). For a pandas
    DataFrame or a ``datasets.Dataset``, ``column`` names the text column; ``batch_size``
    and ``threads`` as for :meth:`Classifier.predict_proba`."""
    return default_classifier().predict(texts, column=column, batch_size=batch_size,
                                        threads=threads)


def predict_proba(texts: str | Iterable[str], *, column: str | None = None,
                  batch_size: int | None = None, threads: int | None = None) -> np.ndarray:
    """Probabilities ``(n, 3)`` in :data:`LABELS` order with the shipped model; the
    arguments as for :func:`predict`."""
    return default_classifier().predict_proba(texts, column=column, batch_size=batch_size,
                                              threads=threads)


def classify(texts: str | Iterable[str], *, explain: bool = False, column: str | None = None,
             batch_size: int | None = None, threads: int | None = None) -> Result | list[Result]:
    """:class:`Result` objects with the shipped model; ``explain=True`` adds the words;
    the other arguments as for :func:`predict`."""
    return default_classifier().classify(texts, explain=explain, column=column,
                                         batch_size=batch_size, threads=threads)


def evaluate(model: Classifier | str | None, data: Any, **options: Any) -> EvaluationReport:
    """Evaluate a model on labelled data; see :func:`afzender.evaluation.report.evaluate_model`."""
    return evaluate_model(model, data, **options)


def audit(data: Any, **options: Any) -> AuditResult:
    """Audit accounts for mixing; see :func:`afzender.audit.accounts.audit_accounts`."""
    return audit_accounts(data, **options)


def check(text: str, **options: Any) -> CheckResult:
    """Check a draft against an account type; see :func:`afzender.audit.check.check_draft`."""
    return check_draft(text, **options)
