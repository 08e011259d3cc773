"""Issue 13, items 6-11 and 15: outputs never destroy input, are safe in spreadsheets,
Markdown and terminals, and carry any Parquet id."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afzender.cli import _one_line, main
from afzender.outputs import csv_cell, md_cell, terminal_safe

FIXTURES = Path(__file__).parent / "fixtures"
LABELLED = [{"text": "Het kabinet trekt extra geld uit voor leraren.", "label": "minister-in-functie"},
            {"text": "Stem op onze partij!", "label": "partijpoliticus"},
            {"text": "Heerlijk gefietst met de kinderen.", "label": "privépersoon"}] * 3


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# ------------------------------------------------------ 6-7: never destroy outputs
def test_predict_output_same_as_input_is_refused(tmp_path, capsys):
    posts = _jsonl(tmp_path / "posts.jsonl", [{"id": 1, "text": "Stem op ons"}])
    before = posts.read_bytes()
    for output in (str(posts), str(tmp_path / "." / "posts.jsonl")):
        assert main(["predict", "--file", str(posts), "-o", output]) == 2
        assert "is also the input" in capsys.readouterr().err
    (tmp_path / "link.jsonl").symlink_to(posts)
    assert main(["predict", "--file", str(posts), "-o", str(tmp_path / "link.jsonl")]) == 2
    assert posts.read_bytes() == before


def test_failed_predict_keeps_the_existing_output(tmp_path):
    results = tmp_path / "results.jsonl"
    results.write_text("precious\n")
    assert main(["predict", "--file", str(tmp_path / "missing.jsonl"), "-o", str(results)]) == 2
    assert results.read_text() == "precious\n"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps({"text": f"post {i}"}) + "\n" for i in range(5000)) + "{broken\n")
    assert main(["predict", "--file", str(bad), "-o", str(results)]) == 2
    assert results.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left
    good = _jsonl(tmp_path / "good.jsonl", [{"text": "Stem op ons"}])
    assert main(["predict", "--file", str(good), "-o", str(results)]) == 0
    assert json.loads(results.read_text())["label"] == "partijpoliticus"


def test_evaluate_and_audit_never_overwrite_their_input(tmp_path, capsys):
    data = tmp_path / "report.json"
    data.write_text(json.dumps(LABELLED))
    before = data.read_bytes()
    assert main(["evaluate", str(data), "--output-dir", str(tmp_path)]) == 2
    assert "is also the input" in capsys.readouterr().err
    posts = tmp_path / "audit.json"
    posts.write_text(json.dumps([{"text": "Stem op ons", "account": "@a"}]))
    assert main(["audit", str(posts), "--account-type", "corporate", "-o", str(tmp_path)]) == 2
    assert data.read_bytes() == before and json.loads(posts.read_text())[0]["account"] == "@a"


def test_train_output_holding_the_input_is_refused(tmp_path, capsys):
    data = _jsonl(tmp_path / "data.jsonl", LABELLED * 2)
    assert main(["train", str(data), "-o", str(data), "--no-record-command"]) == 2
    assert main(["train", str(data), "-o", str(tmp_path), "--no-record-command"]) == 2
    assert data.is_file() and len(data.read_text().splitlines()) == 18


# --------------------------------------------------------- 8: formula injection
def test_csv_output_neutralises_formulas(tmp_path, capsys):
    import csv
    import io

    posts = _jsonl(tmp_path / "p.jsonl", [
        {"id": '=HYPERLINK("http://evil.example","klik")', "text": "=1+1 stem op ons"},
        {"id": "+31", "text": "-x"}, {"id": "@SUM(A1)", "text": "gewoon"}, {"id": 7, "text": "x"}])
    assert main(["predict", "--file", str(posts), "--format", "csv", "--explain"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["id"] for r in rows] == ['\'=HYPERLINK("http://evil.example","klik")', "'+31",
                                       "'@SUM(A1)", "7"]
    for row in rows:
        assert not any(str(v).startswith(("=", "+", "-", "@")) for v in row.values())


@given(st.text())
def test_csv_cell_never_starts_a_formula(value):
    cell = csv_cell(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell in (value, "'" + value)


# ------------------------------------------------------------ 9: Markdown reports
HOSTILE = '<script>alert(1)</script>\n## Fake heading\n| a | b |\n<svg onload=alert(2)>'


def test_audit_markdown_escapes_account_names_and_text(tmp_path):
    posts = _jsonl(tmp_path / "posts.jsonl", [
        {"account": HOSTILE, "text": "Stem op onze partij! <script>x()</script> a|b", "date": "2024-01-02"},
        {"account": HOSTILE, "text": "Zaterdag ons partijcongres | kom allemaal!", "date": "2024-01-03"}])
    assert main(["audit", str(posts), "--account-type", "corporate", "-o", str(tmp_path / "r")]) == 0
    report = (tmp_path / "r" / "audit.md").read_text()
    assert "<script" not in report and "<svg" not in report
    assert not re.search(r"^## Fake", report, re.M)
    for line in report.splitlines():
        if line.startswith("|"):  # every row of every table has its own number of cells
            cells = re.split(r"(?<!\\)\|", line)
            assert len(cells) in (6, 8, 10, 11), line  # 4, 6, 8 or 9 columns


@settings(max_examples=300)
@given(st.text())
def test_md_cell_is_one_inert_cell(value):
    cell = md_cell(value)
    assert "\n" not in cell and "\r" not in cell and "<" not in cell
    assert not re.search(r"(?<!\\)\|", cell)
    assert "\x1b" not in cell


# --------------------------------------------------------------- 10: terminals
def test_text_output_and_audit_summary_have_no_control_sequences(tmp_path, capsys):
    evil = "\x1b]0;pwned\x07\x1b[2J\x1b[31mrood\x9b1m \x07bel"
    assert main(["predict", evil, "--format", "text", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "rood" in out and not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    posts = _jsonl(tmp_path / "p.jsonl", [{"account": evil, "text": "Stem op ons"}])
    assert main(["audit", str(posts), "--account-type", "personal", "-o", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)


@given(st.text())
def test_terminal_safe_leaves_no_controls(value):
    assert not re.search("[\x00-\x08\x0a-\x1f\x7f-\x9f]", terminal_safe(value))


# ---------------------------------------------------------- 11: Parquet id types
def test_parquet_ids_of_any_type(tmp_path, capsys):
    import datetime
    import decimal

    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    def table(ids, kind):
        return pa.table({"id": pa.array(ids, type=kind), "text": ["Stem op ons"] * len(ids)})

    path = tmp_path / "p.parquet"
    pq.write_table(table([decimal.Decimal("12.50"), None], pa.decimal128(5, 2)), path)
    assert main(["predict", "--file", str(path)]) == 0
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == ["12.50", None]
    pq.write_table(table([datetime.date(2024, 3, 1)], pa.date32()), path)
    assert main(["predict", "--file", str(path), "--format", "csv"]) == 0
    assert "2024-03-01" in capsys.readouterr().out
    pq.write_table(table([1.5, float("nan"), float("inf")], pa.float64()), path)
    assert main(["predict", "--file", str(path)]) == 0  # valid JSON: no bare NaN
    assert [json.loads(x)["id"] for x in capsys.readouterr().out.splitlines()] == [1.5, None, "inf"]
    pq.write_table(table([b"ok", b"\x00\xff"], pa.binary()), path)
    assert main(["predict", "--file", str(path), "--format", "csv"]) == 2
    err = capsys.readouterr().err
    assert "row 1" in err and "'id'" in err and "bytes" in err


# ----------------------------------------------------------------- 15: small ones
def test_dollar_in_data_file_name_and_empty_messages(tmp_path, capsys):
    data = _jsonl(tmp_path / "x$\\undefinedcommand$.jsonl", LABELLED)
    assert main(["evaluate", str(data), "--output-dir", str(tmp_path / "eval")]) == 0
    assert (tmp_path / "eval" / "confusion_matrix.png").stat().st_size > 0
    assert _one_line(ValueError("\nreal message\nmore")) == "real message"
    assert _one_line(ValueError("")) == "ValueError"
