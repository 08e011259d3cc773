"""The transformer backend, offline: a tiny encoder built locally, real train/save/load code."""

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import afzender  # noqa: E402
from afzender import ModelFileError  # noqa: E402
from afzender.backends.transformer.engine import EngineConfig, InferenceEngine, is_feed_forward  # noqa: E402
from afzender.backends.transformer.tiny import make_encoder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def corpus_sample():
    rows = [json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")]
    # "validation" (the Hugging Face name) instead of "dev": both mean dev
    return [{**r, "split": {"dev": "validation"}.get(r["split"], r["split"])} for r in rows[::12][:240]]


@pytest.fixture(scope="module")
def trained(corpus_sample, tmp_path_factory):
    base = make_encoder([r["text"] for r in corpus_sample], tmp_path_factory.mktemp("base"),
                        vocab_size=1500)
    model = afzender.train(corpus_sample, model="transformer", base_model=str(base), epochs=2,
                           batch_size=16, learning_rate=1e-3, max_length=64, progress=False)
    return model, tmp_path_factory.mktemp("saved") / "model"


@pytest.mark.slow  # trains a (tiny) transformer
def test_train_save_load_predict(trained, corpus_sample):
    model, path = trained
    assert model.kind == "transformer"
    info = model.metadata["training"]
    assert len(info["dev_macro_f1_per_epoch"]) >= 1 and info["n_used"] > 150
    # test rows are never fitted on; dev is the validation rows
    counts = {role: sum(r["split"] == role for r in corpus_sample)
              for role in ("train", "validation", "test")}
    assert (info["split"]["train"]["n"], info["split"]["dev"]["n"], info["split"]["test"]["n"]) == \
        (counts["train"], counts["validation"], counts["test"])
    assert info["n_used"] == counts["train"] + counts["validation"]
    assert model.metadata["metrics"]["test split"]["n"] == counts["test"]
    model.save(path)
    manifest = json.loads((path / "manifest.json").read_text())
    assert "encoder/model.safetensors" in manifest["files"]
    assert not list(path.rglob("*.bin"))
    loaded = afzender.load(path)
    assert loaded.kind == "transformer"
    texts = [r["text"] for r in corpus_sample[:40]]
    assert np.abs(loaded.predict_proba(texts) - model.predict_proba(texts)).max() < 1e-6
    assert loaded.predict(texts[:3]) == model.predict(texts[:3])
    result = loaded.classify(texts[0], explain=True)
    assert result.explanation and all(w in texts[0].split() for w, _ in result.explanation)


@pytest.mark.slow  # trains a (tiny) transformer
def test_engine_batched_equals_one_by_one(trained, corpus_sample):
    model, _ = trained
    backend = model.backend
    texts = [r["text"] for r in corpus_sample[:60]] + ["", "x", "🎉" * 200]
    engine = InferenceEngine(backend.model, backend.tokenizer,
                             EngineConfig(max_length=64, token_budget=512))
    batched = engine.logits(texts)
    single = np.vstack([engine.logits([t]) for t in texts])
    assert batched.shape == (len(texts), 3)
    probs = lambda z: np.exp(z) / np.exp(z).sum(1, keepdims=True)  # noqa: E731
    assert np.abs(probs(batched) - probs(single)).max() <= 1e-5
    streamed = np.vstack(list(engine.stream(iter(texts), chunk=7)))
    assert np.abs(streamed - batched).max() <= 1e-5


@pytest.mark.slow  # trains a (tiny) transformer
def test_engine_int8_runs(trained, corpus_sample):
    model, _ = trained
    backend = model.backend
    texts = [r["text"] for r in corpus_sample[:30]]
    import copy

    fp32 = InferenceEngine(copy.deepcopy(backend.model), backend.tokenizer,
                           EngineConfig(max_length=64)).logits(texts)
    for precision, feed_forward_quantised in (("int8", False), ("int8-all", True)):
        engine = InferenceEngine(copy.deepcopy(backend.model), backend.tokenizer,
                                 EngineConfig(max_length=64, precision=precision))
        logits = engine.logits(texts)
        assert logits.shape == (30, 3) and np.isfinite(logits).all()
        assert np.abs(logits - fp32).max() < 0.5  # quantised, not another model
        kinds = {name: type(module).__module__.startswith("torch.ao")
                 for name, module in engine.model.named_modules() if "dense" in name or "query" in name}
        feed_forward = {name: quantised for name, quantised in kinds.items() if is_feed_forward(name)}
        assert feed_forward and set(feed_forward.values()) == {feed_forward_quantised}
        assert any(quantised for name, quantised in kinds.items() if "attention" in name)
    with pytest.raises(ValueError):
        InferenceEngine(backend.model, backend.tokenizer, EngineConfig(precision="fp8"))


@pytest.mark.slow  # trains a (tiny) transformer
def test_transformer_folder_with_pickle_is_refused(trained):
    model, path = trained
    model.save(path)
    (path / "encoder" / "pytorch_model.bin").write_bytes(b"\x80\x04not really")
    with pytest.raises(ModelFileError, match="refusing files"):
        afzender.load(path)
    with pytest.raises(FileExistsError, match="pytorch_model.bin"):
        model.save(path)  # a folder with a foreign file is never replaced
    (path / "encoder" / "pytorch_model.bin").unlink()


@pytest.mark.slow  # trains a (tiny) transformer
def test_transformer_tampered_weights(trained):
    model, path = trained
    model.save(path)
    weights = path / "encoder" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        afzender.load(path)


def test_missing_base_model():
    with pytest.raises(ValueError, match="base_model"):
        afzender.train([("a b", "partij"), ("c d", "prive")] * 4, model="transformer")


def test_unknown_option():
    with pytest.raises(TypeError, match="unknown option"):
        afzender.train([("a b", "partij"), ("c d", "prive")] * 4, model="transformer", foo=1)


@pytest.fixture(scope="module")
def untrained(corpus_sample, tmp_path_factory):
    """A tiny random encoder behind the backend (no training)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from afzender.backends.transformer.model import TransformerModel

    path = make_encoder([r["text"] for r in corpus_sample], tmp_path_factory.mktemp("untrained"),
                        vocab_size=600)
    return TransformerModel(AutoModelForSequenceClassification.from_pretrained(path),
                            AutoTokenizer.from_pretrained(path), config={"max_length": 32},
                            device="cpu")


def test_threads_are_set_for_the_forward_passes_and_restored(untrained, corpus_sample, monkeypatch):
    texts = [r["text"] for r in corpus_sample[:20]]
    seen = []
    forward = untrained.engine.model.forward

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return forward(*args, **kwargs)

    monkeypatch.setattr(untrained.engine.model, "forward", spy)
    before = torch.get_num_threads()
    threads = 1 if before != 1 else 2
    default = untrained.predict_proba(texts)
    assert seen and set(seen) == {before}
    seen.clear()
    for proba in (untrained.predict_proba(texts, threads=threads),
                  afzender.Classifier(untrained).predict_proba(texts, threads=threads)):
        assert np.abs(proba - default).max() < 1e-6
    assert seen and set(seen) == {threads}
    assert torch.get_num_threads() == before


def test_torch_threads_restores_after_an_error_and_serialises_callers():
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from afzender.backends.transformer.engine import torch_threads

    before = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="inside"), torch_threads(3):
        assert torch.get_num_threads() == 3
        raise RuntimeError("inside")
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="positive integer"), torch_threads(0):
        pass
    # the setting is process-wide: blocks that set it run one at a time
    active, most, seen, lock = [0], [0], [], threading.Lock()

    def work(n):
        with torch_threads(n):
            with lock:
                active[0] += 1
                most[0] = max(most[0], active[0])
            time.sleep(0.01)
            seen.append((n, torch.get_num_threads()))
            with lock:
                active[0] -= 1

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, [1, 2, 3, 4] * 3))
    assert most[0] == 1 and len(seen) == 12 and all(n == got for n, got in seen)
    assert torch.get_num_threads() == before
