"""Classify a Spark DataFrame of posts on the executors (``pip install 'afzender[spark]'``).

>>> from afzender.spark import classify
>>> labelled = classify(spark.read.parquet("posts/"), text_col="text")     # doctest: +SKIP
>>> labelled.write.parquet("labelled/")                                     # doctest: +SKIP

Rows travel as Arrow batches through ``mapInPandas``; each executor's Python worker loads the
model once (from the wheel installed on the executors, or from a model folder shipped with
``SparkContext.addFile``) and reuses it for every batch. Every input row gives exactly one
output row, in the input's order: the input columns, then ``predicted_label``,
``probability`` (of that label) and ``probabilities`` (an array in :data:`afzender.LABELS`
order), and ``explanation`` (the words that drove the label) with ``explain=True``.

For a transformer model, each executor uses its GPU when torch sees one (see
:class:`afzender.transformer.engine.EngineConfig`), else its CPU.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .classifier import Classifier, load
from .labels import LABELS

PREDICTED, PROBABILITY, PROBABILITIES, EXPLANATION = (
    "predicted_label", "probability", "probabilities", "explanation")
ON_NULL = ("error", "null")

_models: dict[str, Classifier] = {}
_lock = threading.Lock()


def classify(df: Any, text_col: str = "text", model: Classifier | str | os.PathLike | None = None,
             explain: bool = False, on_null: str = "error", batch_size: int = 4096) -> Any:
    """The DataFrame ``df`` with each post's label and probabilities.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        Posts, one per row, in column ``text_col`` (string).
    text_col : str
        The column holding the posts.
    model : Classifier, str, path or None
        ``None``: the shipped default model, loaded on each executor from the installed wheel.
        A model folder, or a :class:`Classifier` loaded from one or freshly trained: the folder
        is shipped to the executors with ``SparkContext.addFile`` (a trained model is saved to
        a temporary folder first).
    explain : bool
        Add an ``explanation`` column with the words that drove each label.
    on_null : {"error", "null"}
        A null post raises an error naming its partition and row (``"error"``), or gets null
        label and probabilities (``"null"``).
    batch_size : int
        Arrow batch size (``spark.sql.execution.arrow.maxRecordsPerBatch`` for this job).

    Returns
    -------
    pyspark.sql.DataFrame
        The input columns, then ``predicted_label``, ``probability``, ``probabilities``
        (and ``explanation``).
    """
    from pyspark.sql import types as T

    if on_null not in ON_NULL:
        raise ValueError(f"on_null must be one of {ON_NULL}, not {on_null!r}")
    if text_col not in df.columns:
        raise ValueError(f"no column {text_col!r} in the DataFrame (columns: {', '.join(df.columns)})")
    taken = {PREDICTED, PROBABILITY, PROBABILITIES, EXPLANATION} & set(df.columns)
    if taken:
        raise ValueError(f"the DataFrame already has column(s) {', '.join(sorted(taken))}; rename them")
    source = _ship(df.sparkSession, model)
    fields = [T.StructField(PREDICTED, T.StringType()), T.StructField(PROBABILITY, T.DoubleType()),
              T.StructField(PROBABILITIES, T.ArrayType(T.DoubleType()))]
    if explain:
        fields.append(T.StructField(EXPLANATION, T.ArrayType(T.StringType())))
    schema = T.StructType(list(df.schema.fields) + fields)
    df.sparkSession.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_size))

    def label_batches(batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import TaskContext

        classifier = _executor_model(source)
        context = TaskContext.get()
        partition = context.partitionId() if context else 0
        offset = 0
        for frame in batches:
            yield label_frame(classifier, frame, text_col, explain=explain, on_null=on_null,
                              where=(partition, offset))
            offset += len(frame)

    return df.mapInPandas(label_batches, schema)


def label_frame(classifier: Classifier, frame: Any, text_col: str, *, explain: bool = False,
                on_null: str = "error", where: tuple[int, int] = (0, 0)) -> Any:
    """Label one pandas batch: the executor-side step of :func:`classify` (also usable alone)."""
    import numpy as np

    texts = frame[text_col].tolist()
    missing = [i for i, text in enumerate(texts) if text is None or text != text]
    if missing and on_null == "error":
        partition, offset = where
        raise ValueError(f"afzender: the post in column {text_col!r} is null at row "
                         f"{offset + missing[0]} of partition {partition}; pass on_null='null' "
                         "to give such rows a null label")
    skipped = set(missing)
    present = [i for i in range(len(texts)) if i not in skipped]
    posts = [texts[i] for i in present]
    results = classifier.classify(posts, explain=explain) if posts else []
    labels: list[Any] = [None] * len(texts)
    top: list[Any] = [None] * len(texts)
    rows: list[Any] = [None] * len(texts)
    reasons: list[Any] = [None] * len(texts)
    for i, result in zip(present, results):
        labels[i] = result.label
        probabilities = [result.probabilities[label] for label in LABELS]
        rows[i] = probabilities
        top[i] = float(np.max(probabilities))
        if explain:
            reasons[i] = [word for word, _ in (result.explanation or [])]
    out = frame.copy()
    out[PREDICTED], out[PROBABILITY], out[PROBABILITIES] = labels, top, rows
    if explain:
        out[EXPLANATION] = reasons
    return out


def _ship(spark: Any, model: Classifier | str | os.PathLike | None) -> str | None:
    """Make the model reachable on the executors; return how an executor finds it."""
    if model is None:
        return None
    if isinstance(model, Classifier):
        path = model.metadata.get("path")
        if not path:
            path = tempfile.mkdtemp(prefix="afzender-spark-")
            path = str(model.save(Path(path) / "model"))
        model = path
    folder = Path(model).resolve()
    load(folder)  # a damaged folder fails here, on the driver, with a clear error
    spark.sparkContext.addFile(str(folder), recursive=True)
    return folder.name


def _executor_model(source: str | None) -> Classifier:
    """The model of this Python worker, loaded once and reused for every batch."""
    key = source or ""
    with _lock:
        if key not in _models:
            if source is None:
                _models[key] = load(None)
            else:
                from pyspark import SparkFiles

                _models[key] = load(SparkFiles.get(source))
        return _models[key]
