"""The model card is written from the model's real training data and metadata."""

import json

from conftest import TINY

import afzender
from afzender.card import model_card
from afzender.inputs.corpus import corpus_path
from afzender.training import describe_source


def test_card_of_a_users_model_describes_its_own_data(tmp_path):
    path = tmp_path / "mijn_posts.jsonl"
    rows = [{"text": t, "label": l, "split": "test" if i % 5 == 0 else "train"}
            for i, (t, l) in enumerate(TINY * 2)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    folder = afzender.train(path, progress=False).save(tmp_path / "m")
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "written for the project" not in card and "project's corpus" not in card
    assert "the file `mijn_posts.jsonl`" in card
    assert "roles of the rows: train 19, dev 5, test 6" in card
    assert "6 held-out test rows" in card
    assert "one-standard-error rule" in card
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["training"]["source"]["project_corpus"] is False


def test_card_without_test_rows_says_nothing_measures_unseen_posts():
    card = model_card(afzender.train(TINY, progress=False, C=4.0).metadata)
    assert "a list passed to `afzender.train`" in card
    assert "No rows were held out as a test split" in card


def test_the_project_corpus_is_recognised():
    source = describe_source(corpus_path())
    assert source["project_corpus"] is True and source["name"] == "corpus.jsonl"
    card = model_card({"training": {"source": source, "n_used": 10}})
    assert "the project's corpus" in card and "written for the project" in card
