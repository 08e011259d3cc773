"""Explanations name each word once, its contributions merged (API, CLI CSV, audit)."""

import csv
import io
import json
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

import afzender
from afzender.backends.explain import merge_by_word, occlusion

REPEATS = "Het kabinet kabinet kabinet besluit: de brief brief brief gaat naar het kabinet. 00 00"


def test_api_explanation_names_each_word_once(default_model):
    # top=50 shows every word, so the check does not hang on which words the model weighs most.
    result = default_model.classify(REPEATS, explain=True, top=50)
    words = [w for w, _ in result.explanation]
    assert len(words) == len(set(words)) and words.count("kabinet") == 1 and words.count("brief") == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["kabinet", "stem", "brief", "lid", "!", "ons", "0"]), max_size=30))
def test_no_word_twice_for_any_post(default_model, words):
    explanation = default_model.classify(" ".join(words), explain=True, top=50).explanation
    names = [w for w, _ in explanation]
    assert len(names) == len(set(names))


def test_occlusion_merges_words_too():
    def proba(texts):
        import numpy as np

        return np.array([[0.1 + 0.1 * t.count("ja"), 0.5, 0.4 - 0.1 * t.count("ja")] for t in texts])

    reasons = occlusion(proba, ["ja ja nee ja"])[0]
    assert [w for w, _ in reasons].count("ja") == 1
    assert merge_by_word([("a", 1.0), ("b", -3.0), ("a", 1.5)], 8) == [("b", -3.0), ("a", 2.5)]


def test_cli_csv_and_audit_explanations_have_no_repeats(tmp_path):
    posts = tmp_path / "posts.jsonl"
    posts.write_text(json.dumps({"id": 1, "text": REPEATS, "account": "@m"}) + "\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "afzender.cli", "predict", "--file", str(posts),
                          "--explain", "--format", "csv"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    words = next(csv.DictReader(io.StringIO(out.stdout)))["explanation"].split()
    assert words and len(words) == len(set(words))
    audit = afzender.audit(str(posts), account_type="corporate", doubt=1.0)
    flagged = audit.accounts[0].breaches + audit.accounts[0].unsure
    names = [w for w, _ in flagged[0].words]
    assert names and len(names) == len(set(names))
