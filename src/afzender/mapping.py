"""Label posts inside other engines' worker processes: ``datasets.Dataset.map`` and Spark.

>>> import afzender
>>> labelled = dataset.map(afzender.map_fn(column="text"), batched=True, num_proc=2)  # doctest: +SKIP

A worker process loads each model once (:func:`worker_model`) and keeps it for every batch it
is given. Only the model's folder path and its fingerprint (a hash of the manifest's file
hashes) travel to the workers, never its weights, so the function pickles small and hashes
stably for ``datasets``' cache; a model saved again into the same folder has another
fingerprint, so neither that cache nor a worker's loaded model is reused for it.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any, NamedTuple

from .classifier import Classifier, default_model_path, load
from .errors import ModelFileError
from .inputs.posts import text_problem
from .labels import LABELS
from .modelfile import read_model_folder

PREDICTED, PROBABILITY, PROBABILITIES, EXPLANATION = (
    "predicted_label", "probability", "probabilities", "explanation")

_models: dict[tuple[str, str], Classifier] = {}
_lock = threading.Lock()


class ModelSource(NamedTuple):
    """Where a worker finds a model (``folder`` ``None``: the shipped default) and the
    fingerprint the model it loads must have."""

    folder: str | None
    fingerprint: str


class MissingPost(ValueError):
    """A post is null; ``index`` is its position in the batch."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


def fingerprint(files: dict[str, str]) -> str:
    """A short hash of a manifest's ``files`` (name → SHA-256): the model's identity."""
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:16]


def worker_model(folder: str | None, expected: str) -> Classifier:
    """The model in ``folder`` (``None``: the shipped default), loaded once per process and
    fingerprint.

    Raises
    ------
    ModelFileError
        The folder now holds another model than the caller meant (saved over since).
    """
    key = (folder or "", expected)
    with _lock:
        if key not in _models:
            classifier = load(folder)
            if fingerprint(classifier.metadata["files"]) != expected:
                raise ModelFileError(f"{folder or 'the shipped model'} holds another model than "
                                     "the one this job was started with; start it again")
            _models[key] = classifier
        return _models[key]


def model_source(model: Classifier | str | os.PathLike[str] | None) -> ModelSource:
    """Where workers find ``model`` and its fingerprint. A trained model that is not (or no
    longer) the one in its folder is saved to a temporary folder, removed at exit. The folder
    is verified here, in the caller, without loading the weights."""
    if isinstance(model, Classifier):
        path = model.metadata.get("path")
        files = model.metadata.get("files")
        if not path or not files or _folder_files(Path(path)) != files:
            temporary = Path(tempfile.mkdtemp(prefix="afzender-"))
            atexit.register(shutil.rmtree, temporary, True)
            model.save(temporary / f"model-{uuid.uuid4().hex[:8]}")
        location: str | os.PathLike[str] | None = model.metadata["path"]
    else:
        location = model
    folder = None if location is None else str(Path(location).resolve())
    verified = read_model_folder(default_model_path() if folder is None else folder)
    return ModelSource(folder, fingerprint(verified.manifest["files"]))


def _folder_files(folder: Path) -> dict[str, str] | None:
    try:
        return read_model_folder(folder).manifest["files"]
    except ModelFileError:
        return None


def label_columns(classifier: Classifier, posts: list[Any], *, explain: bool = False,
                  skip_missing: bool = False, where: str = "row") -> dict[str, list[Any]]:
    """The output columns for a batch of posts: label, its probability, all probabilities
    in :data:`LABELS` order (and the explaining words).

    A missing post (``None`` or NaN) raises :class:`MissingPost` naming ``where`` and its
    index, or, with ``skip_missing``, gets ``None`` in every output column.
    """
    problems = {i: problem for i, post in enumerate(posts) if (problem := text_problem(post))}
    wrong = [(i, problem) for i, problem in problems.items() if not problem.startswith("missing")]
    if wrong:
        raise TypeError(f"afzender: the post at {where} {wrong[0][0]} is {wrong[0][1]}, not text")
    missing = list(problems)
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

    def __init__(self, source: ModelSource, column: str, explain: bool) -> None:
        self.source, self.column, self.explain = source, column, explain

    def __call__(self, batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        if self.column not in batch:
            raise KeyError(f"afzender.map_fn: no column {self.column!r} in the batch "
                           f"(columns: {', '.join(batch)}); pass column=")
        return label_columns(worker_model(*self.source), batch[self.column], explain=self.explain,
                             where=f"{self.column!r} row (of this batch)")

    def __repr__(self) -> str:
        return f"afzender.map_fn(model={self.source.folder!r}, column={self.column!r})"


def map_fn(model: Classifier | str | os.PathLike | None = None, column: str = "text", *,
           explain: bool = False) -> MapFunction:
    """A function for ``datasets.Dataset.map(fn, batched=True, num_proc=N)``.

    Parameters
    ----------
    model : Classifier, str, path or None
        ``None``: the shipped default model. A folder or a :class:`Classifier` (a trained,
        unsaved one is saved to a temporary folder, so that workers can load it). If the
        folder is saved over later, the function refuses to label with the other model.
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
    return MapFunction(model_source(model), column, explain)
