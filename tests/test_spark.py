"""afzender.spark.classify in Spark local mode, against single-process predictions."""

import json
from pathlib import Path

import numpy as np
import pytest

pyspark = pytest.importorskip("pyspark")

import afzender  # noqa: E402
from afzender.spark import classify  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("afzender-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())
    yield session
    session.stop()


@pytest.fixture(scope="module")
def posts():
    rows = [json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")]
    return [(i, r["text"]) for i, r in enumerate(rows[:997])] + [(997, ""), (998, "👍")]


def test_same_labels_and_probabilities_as_predict(spark, posts):
    df = spark.createDataFrame(posts, "id long, text string").repartition(3)
    ids_in_order = [row.id for row in df.collect()]
    out = classify(df, batch_size=128).collect()
    assert [row.id for row in out] == ids_in_order           # order and count preserved
    texts = {i: t for i, t in posts}
    expected = afzender.predict_proba([texts[i] for i in ids_in_order])
    np.testing.assert_allclose(np.array([row.probabilities for row in out]), expected, atol=1e-12)
    assert [row.predicted_label for row in out] == afzender.predict([texts[i] for i in ids_in_order])
    np.testing.assert_allclose([row.probability for row in out], expected.max(axis=1))


def test_a_shipped_model_folder_and_explanations(spark, posts, tmp_path, tiny_rows):
    model = afzender.train(tiny_rows, C=1.0, bits=14, progress=False)
    folder = model.save(tmp_path / "tiny")
    df = spark.createDataFrame(posts[:50], "id long, text string")
    out = classify(df, model=str(folder), explain=True).collect()
    assert [row.predicted_label for row in out] == model.predict([t for _, t in posts[:50]])
    assert all(isinstance(row.explanation, list) for row in out)


def test_nulls_error_names_the_row_or_give_null_labels(spark):
    df = spark.createDataFrame([(1, "Stem op ons!"), (2, None), (3, "Mooi!")],
                               "id long, text string").coalesce(1)
    with pytest.raises(Exception, match="null at row 1 of partition 0"):
        classify(df).collect()
    out = classify(df, on_null="null").collect()
    assert [row.predicted_label is None for row in out] == [False, True, False]
    assert out[1].probabilities is None


def test_bad_arguments(spark):
    df = spark.createDataFrame([(1, "x")], "id long, body string")
    with pytest.raises(ValueError, match="no column 'text'"):
        classify(df)
    with pytest.raises(ValueError, match="on_null"):
        classify(df, text_col="body", on_null="drop")
