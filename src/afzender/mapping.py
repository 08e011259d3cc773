"""Label posts inside other engines' worker processes: ``datasets.Dataset.map`` and Spark.

>>> import afzender
>>> labelled = dataset.map(afzender.map_fn(column="text"), batched=True, num_proc=2)  # doctest: +SKIP

A worker process loads each model once (:func:`worker_model`) and keeps it for every batch it
is given. Only the model's folder path travels to the workers, never its weights, so the
function pickles small and hashes stably for ``datasets``' cache.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from .classifier import Classifier, load
from .labels import LABELS

PREDICTED, PROBABILITY, PROBABILITIES, EXPLANATION = (
    "predicted_label", "probability", "probabilities", "explanation")

_models: dict[str, Classifier] = {}
_lock = threading.Lock()


class MissingPost(ValueError):
    """A post is null; ``index`` is its position in the batch."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def worker_model(folder: str | None) -> Classifier:
    """The model in ``folder`` (``None``: the shipped default), loaded once per process."""
    key = folder or ""
    with _lock:
        if key not in _models:
            _models[key] = load(folder)
        return _models[key]


def model_folder(model: Classifier | str | os.PathLike | None) -> str | None:
    """Where a worker finds ``model``: its folder (a trained model is saved to a temporary one
    first), or ``None`` for the shipped default. A damaged folder fails here, in the caller."""
    if model is None:
        return None
    if isinstance(model, Classifier):
        path = model.metadata.get("path")
        if not path:
            path = str(model.save(Path(tempfile.mkdtemp(prefix="afzender-")) / "model"))
        model = path
    folder = Path(model).resolve()
    load(folder)
    return str(folder)


def label_columns(classifier: Classifier, posts: list[Any], *, explain: bool = False,
                  skip_missing: bool = False, where: str = "row") -> dict[str, list[Any]]:
    """The output columns for a batch of posts: label, its probability, all probabilities
    in :data:`LABELS` order (and the explaining words).

    A missing post (``None`` or NaN) raises :class:`MissingPost` naming ``where`` and its
    index, or, with ``skip_missing``, gets ``None`` in every output column.
    """
    missing = [i for i, post in enumerate(posts) if post is None or post != post]
    if missing and not skip_missing:
        raise MissingPost(f"afzender: the post is missing (null) at {where} {missing[0]}", missing[0])
    skipped = set(missing)
    present = [i for i in range(len(posts)) if i not in skipped]
    results = classifier.classify([posts[i] for i in present], explain=explain) if present else []
    columns: dict[str, list[Any]] = {PREDICTED: [None] * len(posts), PROBABILITY: [None] * len(posts),
                                     PROBABILITIES: [None] * len(posts)}
    if explain:
        columns[EXPLANATION] = [None] * len(posts)
    for i, result in zip(present, results):
        probabilities = [result.probabilities[label] for label in LABELS]
        columns[PREDICTED][i] = result.label
        columns[PROBABILITY][i] = max(probabilities)
        columns[PROBABILITIES][i] = probabilities
        if explain:
            columns[EXPLANATION][i] = [word for word, _ in (result.explanation or [])]
    return columns


class MapFunction:
    """A picklable ``batch -> columns`` function for ``Dataset.map(batched=True)``."""

    def __init__(self, folder: str | None, column: str, explain: bool) -> None:
        self.folder, self.column, self.explain = folder, column, explain

    def __call__(self, batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        if self.column not in batch:
            raise KeyError(f"afzender.map_fn: no column {self.column!r} in the batch "
                           f"(columns: {', '.join(batch)}); pass column=")
        return label_columns(worker_model(self.folder), batch[self.column], explain=self.explain,
                             where=f"{self.column!r} row (of this batch)")

    def __repr__(self) -> str:
        return f"afzender.map_fn(model={self.folder!r}, column={self.column!r})"


def map_fn(model: Classifier | str | os.PathLike | None = None, column: str = "text", *,
           explain: bool = False) -> MapFunction:
    """A function for ``datasets.Dataset.map(fn, batched=True, num_proc=N)``.

    Parameters
    ----------
    model : Classifier, str, path or None
        ``None``: the shipped default model. A folder or a :class:`Classifier` (a trained,
        unsaved one is saved to a temporary folder, so that workers can load it).
    column : str
        The column holding the posts.
    explain : bool
        Add an ``explanation`` column.

    Returns
    -------
    MapFunction
        Adds ``predicted_label``, ``probability`` and ``probabilities`` columns; each worker
        process loads the model once.
    """
    return MapFunction(model_folder(model), column, explain)
