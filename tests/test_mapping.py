"""afzender.map_fn for datasets.Dataset.map, with worker processes."""

import pickle

import numpy as np
import pytest

datasets = pytest.importorskip("datasets")

import afzender  # noqa: E402
from afzender import mapping  # noqa: E402

POSTS = ["Het kabinet trekt 300 miljoen uit voor de jeugdzorg.", "Stem op ons!", "",
         "Eerste aardbeien uit de moestuin 🍓", "Mooi!", "Vanaf 1 juni gaan de musea open."] * 5


def test_map_with_two_processes_equals_predict():
    dataset = datasets.Dataset.from_dict({"bericht": POSTS, "n": list(range(len(POSTS)))})
    out = dataset.map(afzender.map_fn(column="bericht"), batched=True, batch_size=4, num_proc=2)
    assert out["n"] == list(range(len(POSTS)))
    assert out["predicted_label"] == afzender.predict(POSTS)
    np.testing.assert_allclose(np.array(out["probabilities"]), afzender.predict_proba(POSTS), atol=1e-12)
    np.testing.assert_allclose(out["probability"], afzender.predict_proba(POSTS).max(axis=1), atol=1e-12)


def test_the_function_pickles_small_and_loads_once_per_process(tmp_path):
    function = afzender.map_fn()
    assert len(pickle.dumps(function)) < 500          # a path, not the weights
    mapping._models.clear()
    function({"text": ["a"]})
    function({"text": ["b"]})
    assert [folder for folder, _ in mapping._models] == [""]      # one load for both batches


def test_a_trained_model_is_saved_for_the_workers(tmp_path, tiny_rows):
    model = afzender.train(tiny_rows, C=1.0, bits=14, progress=False)
    function = afzender.map_fn(model, explain=True)
    out = function({"text": ["Stem op ons", "Taart!"]})
    assert out["predicted_label"] == model.predict(["Stem op ons", "Taart!"])
    assert all(isinstance(words, list) for words in out["explanation"])


def test_errors_name_the_column_and_row():
    function = afzender.map_fn(column="text")
    with pytest.raises(KeyError, match="no column 'text'.*pass column="):
        function({"body": ["x"]})
    with pytest.raises(ValueError, match="row \\(of this batch\\) 1"):
        function({"text": ["x", None]})


def test_a_folder_saved_over_is_never_labelled_with_the_other_model(tmp_path, tiny_rows):
    first = afzender.train(tiny_rows, C=1.0, bits=14, progress=False)
    first.save(tmp_path / "m")
    function = afzender.map_fn(str(tmp_path / "m"))
    function({"text": ["x"]})
    second = afzender.train(tiny_rows, C=4.0, bits=14, progress=False)
    second.save(tmp_path / "m")
    again = afzender.map_fn(str(tmp_path / "m"))
    assert again.source.fingerprint != function.source.fingerprint     # datasets' cache key changes
    np.testing.assert_allclose(np.array(again({"text": ["Stem op ons"]})["probabilities"]),
                               second.predict_proba(["Stem op ons"]))
    mapping._models.clear()
    with pytest.raises(afzender.ModelFileError, match="another model"):
        function({"text": ["x"]})


def test_pandas_missing_values_are_missing_and_other_values_are_named():
    pd = pytest.importorskip("pandas")
    out = mapping.label_columns(afzender.load(), ["a", pd.NA, float("nan")], skip_missing=True)
    assert [label is None for label in out["predicted_label"]] == [False, True, True]
    with pytest.raises(TypeError, match="row 1 is int"):
        mapping.label_columns(afzender.load(), ["a", 3])
