"""The corpus in data/corpus.jsonl: counts, schema, splits, duplicates, diversity."""

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from afzender import LABELS
from afzender.text import normalize

ROOT = Path(__file__).resolve().parents[1]
FIELDS = {"id", "text", "label", "account", "sender_kind", "platform", "lang", "date", "hard",
          "note", "split"}
KINDS = {"corporate-minister-account", "ministry-account", "government-member",
         "member-of-parliament", "party-account", "local-office-holder", "public-body"}
PLATFORMS = {"x", "mastodon", "bluesky", "instagram", "linkedin", "facebook"}
WORD = re.compile(r"\w+")


@pytest.fixture(scope="module")
def rows():
    return [json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")]


def test_size_and_label_balance(rows):
    assert len(rows) >= 3000
    counts = Counter(r["label"] for r in rows)
    assert set(counts) == set(LABELS)
    assert all(n / len(rows) >= 0.25 for n in counts.values()), counts


def test_schema(rows):
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    for r in rows:
        assert set(r) == FIELDS, r["id"]
        assert isinstance(r["text"], str) and r["text"].strip()
        assert r["sender_kind"] in KINDS and r["platform"] in PLATFORMS
        assert r["lang"] in {"nl", "en"} and r["split"] in {"train", "dev", "test"}
        assert re.fullmatch(r"20(1[7-9]|2[0-6])-\d\d-\d\d", r["date"]), r["id"]
        assert isinstance(r["hard"], bool)
        assert (not r["hard"]) or r["note"].strip(), r["id"]


def test_breadth(rows):
    n = len(rows)
    assert {r["sender_kind"] for r in rows} == KINDS
    assert {r["platform"] for r in rows} == PLATFORMS
    assert sum(r["lang"] == "en" for r in rows) / n >= 0.05
    assert sum(r["hard"] for r in rows) / n >= 0.20
    lengths = [len(r["text"]) for r in rows]
    assert min(lengths) <= 15 and max(lengths) >= 400
    assert sum("@USER" in r["text"] for r in rows) > 200 and sum("(LINK)" in r["text"] for r in rows) > 200
    assert len({r["account"] for r in rows}) >= 200


def test_splits_are_account_disjoint(rows):
    splits = defaultdict(set)
    for r in rows:
        splits[r["account"]].add(r["split"])
    assert all(len(s) == 1 for s in splits.values())
    counts = Counter(r["split"] for r in rows)
    assert counts["train"] > counts["dev"] > 0 and counts["test"] > 0


def test_no_duplicates_across_splits(rows):
    seen = {}
    for r in rows:
        key = re.sub(r"@\w+", "@", normalize(r["text"]))
        assert key not in seen or seen[key] == r["split"], f"{r['id']} duplicates a post in {seen[key]}"
        seen[key] = r["split"]


def _runs(text, n=10):
    words = [w.lower() for w in WORD.findall(text)]
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_no_two_posts_share_a_ten_word_run(rows):
    owner = {}
    for r in rows:
        for run in _runs(r["text"]):
            assert run not in owner, f"{r['id']} and {owner[run]} share '{run}'"
            owner[run] = r["id"]


def test_vocabulary_keeps_growing(rows):
    vocabulary, sizes = set(), []
    quarter = len(rows) // 4
    for i, r in enumerate(rows, 1):
        vocabulary.update(w.lower() for w in WORD.findall(r["text"]))
        if i % quarter == 0:
            sizes.append(len(vocabulary))
    growth = [b - a for a, b in zip(sizes, sizes[1:])]
    assert all(g > 0.12 * sizes[0] for g in growth), sizes


def test_load_corpus_gives_a_datasetdict(rows):
    from afzender.data import load_corpus

    corpus = load_corpus()
    assert set(corpus) == {"train", "dev", "test"}
    assert sum(len(corpus[s]) for s in corpus) == len(rows)
    assert FIELDS <= set(corpus["train"].column_names)
    accounts = [set(corpus[s]["account"]) for s in ("train", "dev", "test")]
    assert not (accounts[0] & accounts[1]) and not (accounts[0] & accounts[2])


def test_agreement_is_reported():
    agreement = json.loads((ROOT / "data" / "annotations" / "agreement.json").read_text())
    assert agreement["n_double_annotated"] == agreement["n_posts"]
    assert 0.6 <= agreement["cohen_kappa"] <= 1.0
    assert agreement["unresolved"] == 0
