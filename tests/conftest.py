import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

# A tiny labelled set written for the tests (invented posts).
TINY = [
    ("Vanaf maandag gelden nieuwe regels voor het openbaar vervoer. "
     "Lees meer op de site van de Rijksoverheid.", "minister-in-functie"),
    ("Vandaag sprak ik met de burgemeesters over de aanpak van de wateroverlast.", "minister-in-functie"),
    ("Het kabinet trekt extra geld uit voor leraren in het basisonderwijs.", "minister-in-functie"),
    ("Namens het kabinet condoleer ik de nabestaanden van de slachtoffers.", "minister-in-functie"),
    ("De minister stuurt vandaag een brief aan de Kamer over de stikstofaanpak.", "minister-in-functie"),
    ("Stem op 15 maart op onze partij! Elke stem telt.", "partijpoliticus"),
    ("Schandalig hoe dit kabinet de boeren in de steek laat. Wij blijven strijden.", "partijpoliticus"),
    ("Vandaag mijn motie ingediend voor betaalbare huren. Dankzij ons komt er eindelijk actie.",
     "partijpoliticus"),
    ("Word nu lid en bouw mee aan een eerlijker Nederland.", "partijpoliticus"),
    ("Kom zaterdag naar ons partijcongres in Utrecht, met de lijsttrekker!", "partijpoliticus"),
    ("Heerlijk gefietst met de kinderen langs de dijk vanmiddag.", "privépersoon"),
    ("Gefeliciteerd lieve mam, 70 jaar vandaag!", "privépersoon"),
    ("Wat een wedstrijd! Hup Feyenoord!", "privépersoon"),
    ("Eerste tomaten uit eigen moestuin, trots.", "privépersoon"),
    ("Zondag pannenkoeken gebakken, de hond at er ook een.", "privépersoon"),
]


def fake_e5(texts, progress=False, threads=None):
    """Deterministic stand-in for the e5 encoder: a unit vector per text from its hash."""
    out = np.empty((len(texts), 384))
    for i, text in enumerate(texts):
        seed = int.from_bytes(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:8], "little")
        vector = np.random.default_rng(seed).normal(size=384)
        out[i] = vector / np.linalg.norm(vector)
    return out


@pytest.fixture(scope="session")
def tiny_rows():
    return list(TINY)


@pytest.fixture(scope="session")
def tiny_model(tiny_rows):
    import afzender

    return afzender.train(tiny_rows, progress=False, C=4.0)


@pytest.fixture(scope="session")
def default_model():
    import afzender

    return afzender.load()


@pytest.fixture()
def corpus_rows():
    path = ROOT / "data" / "corpus.jsonl"
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def corpus_train_rows(n: int) -> list[dict]:
    """The first ``n`` posts of the corpus train split: text, label and account only."""
    rows = (json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8"))
    picked = [r for r in rows if r["split"] == "train"][:n]
    return [{"text": r["text"], "label": r["label"], "account": r["account"]} for r in picked]


@pytest.fixture()
def rng():
    return random.Random(0)


def check_mixture_round_trip(rows: list[dict], model, folder, kind: str):
    """What every mixture (e5 ensemble, static model) trained on ``rows`` and saved to
    ``folder`` must show; returns the loaded model, the posts checked and their
    probabilities."""
    import afzender

    assert model.kind == kind
    info = model.metadata["training"]
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
    labels = np.array([r["label"] for r in rows])
    assert np.mean(np.array(model.predict([r["text"] for r in rows])) == labels) > 0.9
    return loaded, texts, proba
