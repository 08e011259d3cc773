"""``train``: from labelled posts in any format to a fitted, calibrated :class:`Classifier`.

Orchestration only: read and check the data (:mod:`afzender.inputs`), split it once
(:func:`~afzender.inputs.splits.plan_split`), hand train and dev to the backend's fit
(:mod:`afzender.backends.registry`), evaluate on the test rows.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ._deprecated import moved
from .backends.registry import check_options, fit_function, spec
from .classifier import Classifier
from .errors import require_extra
from .evaluation.metrics import compute_metrics
from .inputs import labelled as _labelled
from .inputs.corpus import corpus_path
from .inputs.splits import Split, dataset_dict_rows, plan_split
from .modelfile import sha256_file

__getattr__ = moved(__name__, {
    "afzender.errors": ("DataWarning",),
    "afzender.inputs.labelled": ("LabelledData", "read_labelled", "check_trainable", "MIN_EXAMPLES"),
    "afzender.calibration": ("log_loss", "fit_temperature"),
    "afzender.backends.linear.fit": ("C_GRID", "LinearSelection", "one_standard_error"),
    "afzender._legacy": ("select_linear", "train_linear"),
})


def train(data: Any, *, model: str = "linear", text_column: str = "text",
          label_column: str = "label", seed: int = 0, evaluate_on: dict[str, Any] | None = None,
          command: str | None = None, progress: bool = True, **options: Any) -> Classifier:
    """Train a :class:`~afzender.Classifier` on labelled posts.

    Parameters
    ----------
    data:
        A path (CSV, TSV, JSONL, Parquet), a ``datasets.Dataset`` or ``DatasetDict``
        (all splits are read; a ``split`` column or the split names decide the roles), a
        pandas DataFrame, a list of dicts or of ``(text, label)`` pairs.
    model:
        ``"linear"`` (default, fast, no torch), ``"ensemble"`` (the linear model mixed
        with frozen e5 sentence embeddings: better on real posts, thousands of times
        slower; needs the ``e5`` extra) or ``"transformer"`` (needs the ``transformer``
        extra; pass ``base_model=`` a Hugging Face name or local path).
    text_column, label_column:
        Column names. Labels may be spelled loosely ("functie", "partij", "prive", ...).
    seed:
        Seed of every random choice; same data and seed give byte-identical model files.
    evaluate_on:
        Extra labelled data sets to evaluate on, ``{name: data}``; their metrics go into
        the model's metadata and card. They are never trained on.
    **options:
        Backend options, the keyword parameters of the backend's fit function
        (:mod:`afzender.backends.registry`): ``C``, ``bits`` (linear, ensemble);
        ``embedder`` (ensemble: a function that computes the training embeddings instead of
        the e5 encoder, e.g. a cache; the model does not keep it); ``base_model``,
        ``epochs``, ``batch_size``, ``learning_rate``, ``max_length``, ... (transformer).

    Returns
    -------
    Classifier

    Raises
    ------
    DataError
        Missing columns, unknown labels, fewer than 6 usable posts or a single label.

    Warns
    -----
    DataWarning
        Empty posts (not used), duplicate ids, the same text with different labels.
    """
    require_extra("train", "training")
    spec(model)
    check_options(model, options)
    source = describe_source(data)
    labelled = _labelled.read_labelled(dataset_dict_rows(data), text_column=text_column,
                             label_column=label_column)
    _labelled.check_trainable(labelled)
    split = plan_split(labelled.rows, labelled.columns, seed)
    # Every backend gets the same rows: train then dev, never test.
    fitted = labelled.subset(np.concatenate([split.train, split.dev]))
    _labelled.check_trainable(fitted)
    train_idx, dev_idx = np.arange(len(split.train)), np.arange(len(split.train), len(fitted.texts))
    backend, info = fit_function(model)(fitted, train_idx, dev_idx, seed=seed, progress=progress,
                                        **options)
    metadata = _metadata(labelled, fitted, split, source, seed, command, info)
    classifier = Classifier(backend, metadata)
    sets: dict[str, _labelled.LabelledData] = {}
    if len(split.test):
        sets[held_out_name(source)] = labelled.subset(split.test)
    for name, extra in (evaluate_on or {}).items():
        sets[name] = _labelled.read_labelled(extra, text_column=text_column, label_column=label_column)
    for name, subset in sets.items():
        proba = classifier.predict_proba(subset.texts)
        metadata["metrics"][name] = compute_metrics(subset.labels, proba, bootstrap=0,
                                                   texts=subset.texts)
    classifier.metadata.update(metadata)
    return classifier


def _metadata(labelled: _labelled.LabelledData, fitted: _labelled.LabelledData, split: Split,
              source: dict[str, Any], seed: int, command: str | None, info: dict[str, Any]) -> dict[str, Any]:
    """The model's metadata before evaluation: the command, the data and its split, and what
    the backend's fit reported."""
    excluded = {reason: len(rows) for reason, rows in labelled.excluded.items()}
    if len(split.test):
        excluded["split == test (held out for evaluation)"] = len(split.test)
    return {
        "command": command or "afzender.train(...)",
        "seed": seed,
        "training": {"source": source, "n_rows": labelled.n_rows, "n_used": len(fitted.texts),
                     "excluded": excluded, "split": split.describe(labelled.rows),
                     "label_counts": dict(sorted(Counter(fitted.labels).items())),
                     "data_sha256": fitted.sha256(), **info},
        "metrics": {},
    }



def describe_source(data: Any) -> dict[str, Any]:
    """What the training data was, for the manifest and the model card: a file's name and
    SHA-256 (and whether it is the project's own corpus), else the kind of object."""
    if not isinstance(data, (str, os.PathLike)):
        return {"kind": type(data).__name__}
    path = Path(data)
    if not path.is_file():
        return {"kind": "file", "name": path.name}
    digest = sha256_file(path)
    corpus = corpus_path()
    return {"kind": "file", "name": path.name, "file_sha256": digest,
            "project_corpus": corpus.is_file() and digest == sha256_file(corpus)}


def held_out_name(source: dict[str, Any]) -> str:
    """``"corpus test split"`` for ``corpus.jsonl``; ``"test split"`` for in-memory data."""
    name = source.get("name")
    return f"{name.rsplit('.', 1)[0]} test split" if name else "test split"
