"""Issue 13, items 12-15: explanations, post length and evaluation breakdowns are bounded."""

import json
import time

import numpy as np
import pytest

import afzender
from afzender import classifier as classifier_module
from afzender.backends.linear import model as linear
from afzender.text import MAX_CHARS, normalize_joined, prejoin

EXPANDING = "\ufdfa"  # NFKC turns this one code point into 18


# ------------------------------------------------------------- 12. explanations
def test_explanations_run_in_bounded_chunks(default_model, monkeypatch):
    sizes = []
    explain = default_model.backend.explain

    def spy(texts, top=8):
        sizes.append(len(texts))
        return explain(texts, top)

    monkeypatch.setattr(default_model.backend, "explain", spy)
    posts = [f"Stem op onze partij {i}" for i in range(1000)]
    results = default_model.classify(posts, explain=True)
    assert len(results) == 1000 and all(r.explanation for r in results)
    assert max(sizes) <= classifier_module.EXPLAIN_CHUNK and sum(sizes) == 1000
    sizes.clear()
    afzender.audit([{"text": p, "account": "@x"} for p in posts[:300]], account_type="corporate",
                   model=default_model)
    assert sizes and max(sizes) <= classifier_module.EXPLAIN_CHUNK


def test_centred_weights_are_computed_once(tiny_model):
    backend = tiny_model.backend
    first = backend.centred_weights
    tiny_model.classify(["Stem op ons", "Het kabinet"], explain=True)
    assert backend.centred_weights is first
    assert np.array_equal(first, backend.weights - backend.weights.mean(axis=0))


# ------------------------------------------------------ 13. cut after NFKC
def test_posts_are_cut_after_nfkc_in_the_numpy_path():
    joined = prejoin([EXPANDING * MAX_CHARS, "kort", "\u0130" * MAX_CHARS])
    assert [len(p) for p in joined.split("\x00")] == [MAX_CHARS, 4, MAX_CHARS]
    normalised = normalize_joined([EXPANDING * MAX_CHARS])
    assert len(normalised) <= 2 * MAX_CHARS + 4  # punctuation may be spaced out, no more


@pytest.mark.skipif(linear._fastcore is None, reason="afzender._fastcore is not built")
def test_c_core_reads_no_post_beyond_the_limit(monkeypatch):
    core = linear._fastcore
    assert core.MAX_CHARS == MAX_CHARS
    weights = np.random.default_rng(0).normal(size=(3, 2**12))
    long = "ab cd " * (MAX_CHARS // 2)
    assert np.array_equal(core.scores(long + "\x00x", weights, 12, (3,)),
                          core.scores(long[:MAX_CHARS] + "\x00x", weights, 12, (3,)))


def test_expanding_posts_stay_cheap_and_identical_on_both_paths(default_model, monkeypatch):
    """16 posts that NFKC lengthens to 360,000 characters each took 1.8 GB to explain."""
    import tracemalloc

    posts = [EXPANDING * MAX_CHARS] * 16 + ["Stem op ons " + EXPANDING * 5000]
    fast = default_model.predict_proba(posts)
    default_model.classify(posts[:1], explain=True)  # centred weights: once per model
    tracemalloc.start()
    try:
        explained = default_model.classify(posts, explain=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300e6
    monkeypatch.setenv("AFZENDER_NO_FASTCORE", "1")
    assert np.allclose(default_model.predict_proba(posts), fast, rtol=1e-12, atol=1e-12)
    assert all(len(r.explanation) <= 8 for r in explained)


# ------------------------------------------- 14. process pools after inference
def _square(x):
    return x * x


def test_library_starts_no_process_pool():
    """afzender parallelises with threads only (the C core releases the GIL), so nothing
    in it forks after torch has started its thread pool."""
    from pathlib import Path

    source = Path(afzender.__file__).parent
    for path in source.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "multiprocessing" not in text and "ProcessPool" not in text, path


def test_spawn_pool_after_transformer_inference_finishes(tmp_path):
    """The documented way to use processes next to a transformer model."""
    pytest.importorskip("transformers")
    import multiprocessing

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from afzender.backends.transformer.model import TransformerModel
    from afzender.backends.transformer.tiny import make_encoder

    base = make_encoder(["het kabinet besluit", "stem op ons"] * 10, tmp_path / "b", vocab_size=80)
    backend = TransformerModel(AutoModelForSequenceClassification.from_pretrained(base),
                               AutoTokenizer.from_pretrained(base))
    assert backend.predict_proba(["het kabinet"] * 64).shape == (64, 3)  # torch's threads run
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        assert pool.map_async(_square, range(8)).get(timeout=120) == [x * x for x in range(8)]


# ------------------------------------------------------ 15. evaluate --by is fast
def test_breakdown_by_many_values_is_fast_and_right(default_model, tmp_path):
    from afzender.evaluation.metrics import compute_metrics
    from afzender.evaluation.report import evaluate_model

    labels = list(afzender.LABELS)
    rows = [{"text": f"Stem op ons {i}" if i % 3 else f"Het kabinet besluit {i}",
             "label": labels[i % 3], "group": i % 2000} for i in range(4000)]
    start = time.perf_counter()
    report = evaluate_model(default_model, rows, by=["group"], bootstrap=0)
    assert time.perf_counter() - start < 10
    groups = report.breakdown["group"]
    assert len(groups) == 2000
    slow = compute_metrics([rows[5]["label"], rows[2005]["label"]],
                           default_model.predict_proba([rows[5]["text"], rows[2005]["text"]]),
                           bootstrap=0, present_only=True)
    for key in ("n", "accuracy", "macro_f1"):
        assert groups["5"][key] == slow[key]
    json.dumps(report.to_dict())
