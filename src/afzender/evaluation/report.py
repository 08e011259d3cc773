"""An evaluation report: one model on one labelled data set, with breakdowns; JSON,
Markdown and PNG plots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any

from ..classifier import Classifier, as_classifier
from ..errors import DataError
from ..inputs.labelled import read_labelled
from ..inputs.splits import dataset_dict_rows, select_rows
from ..labels import LABELS
from ..outputs import atomic_path, md_cell, refuse_input, write_text_atomic
from .metrics import compute_metrics
from .plots import plot_confusion_matrix, plot_reliability

REPORT_FILES = ("report.json", "report.md", "confusion_matrix.png", "reliability.png")


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
            lines.append(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} "
                         f"| {c['support']} |")
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


def evaluate_model(model: Classifier | str | Path | None, data: Any, *,
                   text_column: str = "text", label_column: str = "label",
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
    if output_dir is not None:
        refuse_input([Path(output_dir) / n for n in REPORT_FILES], [data])
    classifier = as_classifier(model)
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
