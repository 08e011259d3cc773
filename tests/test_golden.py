"""Golden predictions of the shipped model (models/default), collected in one place.

Every test that depends on what the *shipped* model predicts lives here; the other test
modules check behaviour that holds for any model.

Two kinds of tests:

- ``tests/fixtures/golden.json`` holds the labels and probabilities (4 decimals) of the
  shipped model on a fixed list of posts (the README's examples, the audit fixture, clear
  cases and posts without words), with the SHA-256 of the weights they came from.
  :func:`test_golden_predictions` compares the shipped model with them.
- The clear cases and the audit fixture's verdicts below are the behaviour a shipped model
  must keep through any retraining.

After the shipped model is rebuilt on purpose (``python tools/build_model.py``), regenerate
the golden file and review its diff before committing::

    python tests/test_golden.py            # rewrites tests/fixtures/golden.json
    git diff tests/fixtures/golden.json    # which posts changed label or probability

Add a post to the list by adding it to ``POSTS`` below and regenerating.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import afzender
from afzender import LABELS

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = FIXTURES / "golden.json"
ACCOUNTS = FIXTURES / "accounts.jsonl"
ACCOUNT_TYPES = FIXTURES / "account_types.csv"
CLEAR_CASES = [  # (post, label) a shipped model must get right
    ("Vanaf 1 juni gaan de musea weer open, meldt het kabinet. Reserveer vooraf een tijdslot.",
     "minister-in-functie"),
    ("Stem 17 maart op de VVD en word lid van onze partij!", "partijpoliticus"),
    ("Heerlijk verjaardagstaart gebakken met mijn dochter 🎂", "privépersoon"),
]
README_POSTS = [
    "Vanaf maandag gaan de basisscholen weer open. Lees de nieuwe regels op rijksoverheid.nl",
    "Op 29 oktober: stem op onze lijsttrekker en word lid!",
    "Eerste aardbeien uit de moestuin 🍓",
    "Het kabinet trekt 300 miljoen uit voor de jeugdzorg.",
    "Zaterdag ons partijcongres in Utrecht: kom allemaal!",
]
NO_WORDS = ["", "   ", "Mooi!", "👍", "https://t.co/abc123"]
POSTS = [*README_POSTS, *(text for text, _ in CLEAR_CASES),
         *(json.loads(line)["text"] for line in ACCOUNTS.read_text(encoding="utf-8").splitlines()),
         *NO_WORDS]


def _weights_sha256(model) -> str:
    return model.metadata["files"]["weights.safetensors"]


def golden_records(model) -> dict:
    """What the golden file holds for ``model``."""
    proba = model.predict_proba(POSTS)
    return {"model_weights_sha256": _weights_sha256(model),
            "posts": [{"text": text, "label": LABELS[int(row.argmax())],
                       "probabilities": [round(float(p), 4) for p in row]}
                      for text, row in zip(POSTS, proba)]}


def test_golden_predictions(default_model):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    if golden["model_weights_sha256"] != _weights_sha256(default_model):
        pytest.fail("models/default changed since tests/fixtures/golden.json was written; if the "
                    "change is intended, regenerate it: python tests/test_golden.py (see this "
                    "module's docstring) and review the diff")
    assert [p["text"] for p in golden["posts"]] == POSTS, "POSTS changed: regenerate the golden file"
    proba = default_model.predict_proba(POSTS)
    for record, row in zip(golden["posts"], proba):
        assert LABELS[int(row.argmax())] == record["label"], record["text"]
        assert np.allclose(row, record["probabilities"], atol=1e-4), record["text"]


def test_the_shipped_model_gets_clear_cases_right(default_model):
    assert default_model.predict([text for text, _ in CLEAR_CASES]) == [label for _, label in CLEAR_CASES]


def test_readme_python_example(default_model):
    assert default_model.predict("Het kabinet trekt 300 miljoen uit voor de jeugdzorg.") == \
        "minister-in-functie"


def test_explanation_of_a_party_post(default_model):
    result = default_model.classify("Stem op 17 maart op onze partij en word lid!", explain=True)
    assert result.label == "partijpoliticus"
    assert "stem" in [w for w, _ in result.explanation]


def test_audit_fixture_breaches():
    """The README's audit example: the clear party post and the clear private post on the
    corporate account are breaches, with their principles."""
    result = afzender.audit(ACCOUNTS, account_type=ACCOUNT_TYPES)
    corporate = next(a for a in result.accounts if a.account == "@MinisterVanWater")
    breaches = {p.id: p for p in corporate.breaches}
    assert {"a3", "a5"} <= set(breaches)
    assert breaches["a3"].principle == "geen vermenging" and breaches["a5"].principle == "herkenbaarheid"
    assert "stem" in [w for w, _ in breaches["a3"].words]
    assert result.to_markdown("en").count("| line 3 | partijpoliticus") == 1


def test_check_verdicts():
    party = "Stem op 19 maart op onze partij en word lid!"
    bad = afzender.check(party, account_type="corporate")
    assert not bad.fits and bad.principle == "geen vermenging" and bad.exit_code == 1
    assert "stem" in [w for w, _ in bad.words]
    assert afzender.check(party, account_type="personal").exit_code == 0


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "afzender.cli", *args], capture_output=True, text=True)


def test_check_cli_exit_codes():
    assert _cli("check", "Stem op onze partij, word vandaag nog lid!").returncode == 1
    fine = _cli("check", "--json", "Vanaf 1 maart gelden nieuwe regels voor het lozen van afvalwater, "
                "meldt het ministerie. Lees meer op rijksoverheid.nl")
    assert fine.returncode == 0, fine.stdout
    assert json.loads(fine.stdout)["fits"] is True


if __name__ == "__main__":  # python tests/test_golden.py: regenerate the golden file
    records = golden_records(afzender.load())
    old = json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.is_file() else {"posts": []}
    before = {p["text"]: p["label"] for p in old["posts"]}
    changed = [p for p in records["posts"] if before.get(p["text"]) not in (None, p["label"])]
    lines = [json.dumps(p, ensure_ascii=False) for p in records["posts"]]  # one post a line
    GOLDEN.write_text(f'{{"model_weights_sha256": "{records["model_weights_sha256"]}",\n "posts": [\n  '
                      + ",\n  ".join(lines) + "\n]}\n", encoding="utf-8")
    print(f"wrote {GOLDEN} ({len(records['posts'])} posts); labels changed: {len(changed)}")
    for p in changed:
        print(f"  {before[p['text']]} -> {p['label']}: {p['text'][:70]}")
