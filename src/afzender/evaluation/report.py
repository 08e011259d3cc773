"""Evaluation: metrics with confidence intervals, calibration, breakdowns, plots."""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from .labels import LABELS, label_indices
from .outputs import md_cell

N_BINS = 10
REPORT_FILES = ("report.json", "report.md", "confusion_matrix.png", "reliability.png")
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
                       n: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95 % percentile interval of macro-F1, resampling groups (accounts) when given."""
    from sklearn.metrics import f1_score

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
        scores.append(f1_score(y[pick], pred[pick], average="macro",
                               labels=range(len(LABELS)), zero_division=0))
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
        "n": int(len(y)),
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


class EvaluationReport:
    """Metrics of one model on one data set, with breakdowns; renders JSON and Markdown.

    Attributes
    ----------
    metrics:
        See :func:`compute_metrics`.
    breakdown:
        ``{column: {value: metrics}}`` for each ``by`` column.
    files:
        Paths written by :meth:`write` (JSON, Markdown, PNG plots).
    """

    def __init__(self, metrics: dict[str, Any], breakdown: dict[str, dict[str, Any]],
                 model_info: dict[str, Any], data_name: str, scored: str = "all rows") -> None:
        self.metrics = metrics
        self.scored = scored
        self.breakdown = breakdown
        self.model_info = model_info
        self.data_name = data_name
        self.files: list[Any] = []

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data_name, "scored": self.scored, "model": self.model_info,
                "metrics": self.metrics,
                "breakdown": self.breakdown}

    def to_markdown(self) -> str:
        m = self.metrics
        ci = m.get("macro_f1_ci95")
        ci_text = f" (95 % CI {ci[0]:.3f}–{ci[1]:.3f}, resampling {m['ci_resampled']})" if ci else ""
        lines = [f"# Evaluation on {md_cell(self.data_name)}", "",
                 f"Model: {md_cell(self.model_info.get('kind'))} "
                 f"({md_cell(self.model_info.get('path', 'in memory'))})", "",
                 f"Scored: {md_cell(self.scored)}", "",
                 f"- posts: {m['n']}", f"- accuracy: {m['accuracy']:.3f}",
                 f"- macro-F1: {m['macro_f1']:.3f}{ci_text}",
                 f"- expected calibration error: {m['ece']:.3f}", "",
                 "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label in LABELS:
            c = m["per_class"][label]
            lines.append(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
        lines += ["", "Confusion matrix (rows: true, columns: predicted):", "",
                  "| | " + " | ".join(LABELS) + " |", "|---|" + "---|" * len(LABELS)]
        for label, row in zip(LABELS, m["confusion_matrix"]):
            lines.append(f"| {label} | " + " | ".join(map(str, row)) + " |")
        if m.get("ece_by_length"):
            lines += ["", "Calibration by post length (characters):", "",
                      "| length | n | accuracy | mean confidence | ECE |", "|---|---|---|---|---|"]
            for bucket, b in m["ece_by_length"].items():
                lines.append(f"| {bucket} | {b['n']} | " + (
                    f"{b['accuracy']:.3f} | {b['confidence']:.3f} | {b['ece']:.3f} |" if b["n"]
                    else "– | – | – |"))
        for column, groups in self.breakdown.items():
            lines += ["", f"By {md_cell(column)} (macro-F1 over the labels present in each group):", "",
                      "| value | n | accuracy | macro-F1 |", "|---|---|---|---|"]
            for value, g in groups.items():
                lines.append(f"| {md_cell(value)} | {g['n']} | {g['accuracy']:.3f} | {g['macro_f1']:.3f} |")
        return "\n".join(lines) + "\n"

    def write(self, folder: Any) -> list[Any]:
        """Write ``report.json``, ``report.md``, ``confusion_matrix.png`` and
        ``reliability.png`` into ``folder``."""
        import json

        from .outputs import atomic_path, write_text_atomic
        from .plots import plot_confusion_matrix, plot_reliability

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / "report.json",
                          json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        write_text_atomic(folder / "report.md", self.to_markdown())
        with atomic_path(folder / "confusion_matrix.png") as temp:
            plot_confusion_matrix(self.metrics["confusion_matrix"], temp,
                                  title=f"Confusion matrix – {self.data_name}")
        with atomic_path(folder / "reliability.png") as temp:
            plot_reliability(self.metrics["reliability"], self.metrics["ece"], temp)
        self.files = [folder / n for n in REPORT_FILES]
        return self.files


def evaluate_model(model: Any, data: Any, *, text_column: str = "text", label_column: str = "label",
                   group_column: str | None = "account", by: Sequence[str] = (),
                   output_dir: Any = None, bootstrap: int = 1000, seed: int = 0,
                   split: str | None = None) -> EvaluationReport:
    """Evaluate ``model`` (a Classifier, a model folder, or ``None`` for the shipped model)
    on labelled ``data`` (any source :func:`afzender.train` accepts).

    Parameters
    ----------
    group_column:
        When the data has this column (default ``account``), the bootstrap CI resamples
        its groups instead of posts, since posts of one account are not independent.
    by:
        Columns to break the metrics down by (e.g. ``sender_kind``, ``confidence``).
    output_dir:
        If given, write JSON, Markdown and PNG plots there.
    split:
        Which rows to score when the data has a ``split`` column (or is a ``DatasetDict``):
        by default the ``test`` split, so training rows are not scored; ``"train"``,
        ``"dev"``/``"validation"`` or ``"all"`` choose otherwise. Without a split column
        every row is scored. The report's ``scored`` says what was scored.

    Returns
    -------
    EvaluationReport

    Raises
    ------
    DataError
        Missing columns or unknown labels (with rows); an unknown split, or no rows in it.
    """
    from .classifier import Classifier, load
    from .splits import dataset_dict_rows, select_rows
    from .outputs import refuse_input
    from .training import read_labelled

    if output_dir is not None:
        refuse_input([Path(output_dir) / n for n in REPORT_FILES], [data])
    classifier = model if isinstance(model, Classifier) else load(model)
    name = Path(data).name if isinstance(data, (str, PathLike)) else type(data).__name__
    optional = tuple(dict.fromkeys([c for c in (group_column, *by, "split") if c]))
    labelled = read_labelled(dataset_dict_rows(data), text_column=text_column,
                             label_column=label_column, optional=optional)
    chosen, scored = select_rows(labelled.rows, labelled.columns.get("split"), split, name)
    if len(chosen) < len(labelled.texts):
        labelled = labelled.subset(chosen)
    proba = classifier.predict_proba(labelled.texts)
    groups = labelled.columns.get(group_column) if group_column else None
    metrics = compute_metrics(labelled.labels, proba, groups=groups, bootstrap=bootstrap, seed=seed,
                              texts=labelled.texts)
    breakdown: dict[str, dict[str, Any]] = {}
    for column in by:
        values = labelled.columns.get(column)
        if values is None:
            from .errors import DataError

            raise DataError(f"no column {column!r} to break down by")
        breakdown[column] = {}
        members: dict[str, list[int]] = {}
        for i, v in enumerate(values):  # one pass, not one scan per value
            members.setdefault(str(v), []).append(i)
        for value in sorted(members):
            idx = members[value]
            breakdown[column][value] = compute_metrics([labelled.labels[i] for i in idx],
                                                       proba[idx], bootstrap=0, present_only=True)
    info = {k: classifier.metadata.get(k) for k in ("kind", "path", "library_version")}
    report = EvaluationReport(metrics, breakdown, info, name, scored)
    if output_dir is not None:
        report.write(output_dir)
    return report
