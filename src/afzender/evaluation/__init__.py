"""Evaluation: :mod:`.metrics` (confidence intervals by account, calibration by length),
:mod:`.report` (:func:`~afzender.evaluation.report.evaluate_model`, behind
:func:`afzender.evaluate`) and :mod:`.plots`."""

from .._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.evaluation.metrics": ("N_BINS", "LENGTH_BUCKETS", "expected_calibration_error",
                                    "calibration_by_length", "bootstrap_macro_f1",
                                    "compute_metrics"),
    "afzender.evaluation.report": ("REPORT_FILES", "EvaluationReport", "evaluate_model"),
})
