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
:class:`afzender.backends.transformer.engine.EngineConfig`), else its CPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .classifier import Classifier
from .mapping import (
    EXPLANATION,
    PREDICTED,
    PROBABILITIES,
    PROBABILITY,
    MissingPost,
    label_columns,
    model_source,
    worker_model,
)

ON_NULL = ("error", "null")


def classify(df: Any, text_col: str = "text", model: Classifier | str | os.PathLike | None = None,
             explain: bool = False, on_null: str = "error", batch_size: int | None = None) -> Any:
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
        a temporary folder first). Executors check that they load the model the job was
        started with (Spark ships a path only once per session: a folder saved over since
        gives a clear error, never the other model's labels).
    explain : bool
        Add an ``explanation`` column with the words that drove each label.
    on_null : {"error", "null"}
        A null post raises an error naming its partition and row (``"error"``), or gets null
        label and probabilities (``"null"``).
    batch_size : int, optional
        Rows per Arrow batch: sets ``spark.sql.execution.arrow.maxRecordsPerBatch``, a
        setting of the whole session (Spark's default, 10,000, when not given).

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
    folder, expected = model_source(model)
    if folder is not None:
        df.sparkSession.sparkContext.addFile(folder, recursive=True)
    shipped = Path(folder).name if folder else None
    fields = [T.StructField(PREDICTED, T.StringType()), T.StructField(PROBABILITY, T.DoubleType()),
              T.StructField(PROBABILITIES, T.ArrayType(T.DoubleType()))]
    if explain:
        fields.append(T.StructField(EXPLANATION, T.ArrayType(T.StringType())))
    schema = T.StructType(list(df.schema.fields) + fields)
    if batch_size is not None:
        df.sparkSession.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_size))

    def label_batches(batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import SparkFiles, TaskContext

        classifier = worker_model(SparkFiles.get(shipped) if shipped else None, expected)
        context = TaskContext.get()
        partition = context.partitionId() if context else 0
        offset = 0
        for frame in batches:
            try:
                columns = label_columns(classifier, frame[text_col].tolist(), explain=explain,
                                        skip_missing=on_null == "null")
            except MissingPost as error:  # name the row within its partition
                raise ValueError(f"afzender: the post in column {text_col!r} is null at row "
                                 f"{offset + error.index} of partition {partition}; pass on_null='null' "
                                 "to give such rows a null label") from None
            out = frame.copy()
            for name, values in columns.items():
                out[name] = values
            yield out
            offset += len(frame)

    return df.mapInPandas(label_batches, schema)
