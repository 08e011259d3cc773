import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import afzender
from afzender import DataError

FIXTURES = Path(__file__).parent / "fixtures"
POSTS = FIXTURES / "accounts.jsonl"
TYPES = FIXTURES / "account_types.csv"


def _rows():
    return [json.loads(line) for line in open(POSTS, encoding="utf-8")]


@pytest.mark.parametrize("doubt", [0.6, 0.97])
def test_audit_finds_breaches_and_keeps_unsure_apart(doubt):
    result = afzender.audit(POSTS, account_type=TYPES, doubt=doubt)
    by_name = {a.account: a for a in result.accounts}
    corporate, personal = by_name["@MinisterVanWater"], by_name["@JanPersoonlijk"]
    assert corporate.n == 6 and personal.n == 3
    assert personal.breaches == [] and personal.unsure == []
    rows = [r for r in _rows() if r["account"] == "@MinisterVanWater"]
    verdicts = afzender.classify([r["text"] for r in rows])
    expect_breach = {r["id"] for r, v in zip(rows, verdicts)
                     if v.label != "minister-in-functie" and v.confidence >= doubt}
    expect_unsure = {r["id"] for r, v in zip(rows, verdicts) if v.confidence < doubt}
    assert {p.id for p in corporate.breaches} == expect_breach
    assert {p.id for p in corporate.unsure} == expect_unsure
    # which posts the shipped model finds breaches: tests/test_golden.py
    assert sum(corporate.counts.values()) == 6
    assert set(corporate.periods) == {"2025-01", "2025-02", "2025-03"}
    assert abs(sum(corporate.shares.values()) - 1) < 1e-3


def test_audit_weekly_and_type_sources():
    rows = _rows()
    result = afzender.audit(rows, account_type={"@MinisterVanWater": "corporate",
                                                "@JanPersoonlijk": "personal"}, period="week")
    assert all(re.fullmatch(r"\d{4}-W\d\d", p) for a in result.accounts for p in a.periods)
    typed = [{**r, "account_type": "personal"} for r in rows]
    assert all(not a.breaches for a in afzender.audit(typed).accounts)
    with pytest.raises(DataError, match="no account type for"):
        afzender.audit(rows)
    with pytest.raises(DataError, match="cannot read date"):
        afzender.audit([{**rows[0], "date": "gisteren"}], account_type="corporate")


def test_reports_are_written_and_well_formed(tmp_path):
    from html.parser import HTMLParser

    result = afzender.audit(POSTS, account_type=TYPES)
    files = result.write(tmp_path, lang="en")
    assert sorted(f.name for f in files) == ["audit.html", "audit.json", "audit.md"]
    data = json.loads((tmp_path / "audit.json").read_text())
    assert {a["account"] for a in data["accounts"]} == {"@MinisterVanWater", "@JanPersoonlijk"}
    page = (tmp_path / "audit.html").read_text()

    class Collector(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.external = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            for name, value in attrs:
                if name in ("src", "href") and value and not value.startswith("#"):
                    self.external.append(value)

    parser = Collector()
    parser.feed(page)
    assert parser.tags.count("svg") == 2 and parser.tags.count("rect") > 6
    assert "script" not in parser.tags and parser.external == []
    assert "Posts that break the rule" in page
    markdown = (tmp_path / "audit.md").read_text()
    assert markdown.count("| line 3 |") <= 1
    dutch = result.to_markdown("nl")
    assert "Berichten die de regel voor dit account breken" in dutch


def test_check_function():
    # the shipped model's verdicts on drafts: tests/test_golden.py
    with pytest.raises(ValueError):
        afzender.check("x", account_type="party")
    with pytest.raises(TypeError):
        afzender.check(None)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "afzender.cli", *args], capture_output=True, text=True)


def test_check_cli_user_error():
    assert _cli("check", "--account-type", "party", "x").returncode == 2


def test_audit_cli(tmp_path):
    out = _cli("audit", str(POSTS), "--account-type", str(TYPES), "-o", str(tmp_path / "r"))
    assert out.returncode == 0, out.stderr
    assert "@MinisterVanWater (corporate)" in out.stdout
    assert (tmp_path / "r" / "audit.html").is_file()
    out = _cli("audit", str(POSTS), "-o", str(tmp_path / "r2"))
    assert out.returncode == 2 and "no account type" in out.stderr


def test_account_types_from_a_semicolon_csv(tmp_path):
    """An account-type mapping saved by Dutch Excel (';') reads like a ',' one."""
    from afzender.audit.accounts import read_account_types

    path = tmp_path / "types.csv"
    path.write_text("account;type\n@MinisterVanWater;corporate\n@Jan;personal\n", encoding="utf-8")
    assert read_account_types(path) == {"@MinisterVanWater": "corporate", "@Jan": "personal"}


def test_audit_estimates_each_accounts_mix_from_its_posts(default_model):
    import numpy as np

    from afzender.label_mix import estimate_mix

    result = afzender.audit(POSTS, account_type=TYPES)
    rows = _rows()
    trained = np.array([default_model.trained_mix[label] for label in afzender.LABELS])
    for audit in result.accounts:
        texts = [r["text"] for r in rows if r["account"] == audit.account]
        expected, _ = estimate_mix(default_model.predict_proba(texts), trained)
        assert list(audit.estimated_shares.values()) == pytest.approx(expected.tolist(), abs=1e-4)
        assert list(audit.estimated_shares) == list(afzender.LABELS)
    assert "estimated mix (EM)" in result.to_markdown("en") and "geschatte mix" in result.to_html("nl")
    assert json.loads(result.to_json())["accounts"][0]["estimated_shares"] is not None
    bare = afzender.Classifier(default_model.backend, {})   # no training mix recorded
    assert all(a.estimated_shares is None for a in afzender.audit(POSTS, account_type=TYPES,
                                                                   model=bare).accounts)
    assert "| – |" in afzender.audit(POSTS, account_type=TYPES, model=bare).to_markdown("en")
