import csv
import io
import json
import subprocess
import sys

import pytest

from afzender import LABELS


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "afzender.cli", *args], input=stdin,
                          capture_output=True, text=True)


def test_predict_arguments_prints_labels():
    out = run("predict", "Het kabinet verlaagt de energiebelasting.", "Stem op ons!")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 2 and all(line.split()[0] in LABELS for line in lines)


def test_predict_stdin_lines_to_jsonl():
    out = run("predict", stdin="eerste post\n\nderde post\n")
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["row"] for r in records] == [1, 2, 3]
    assert all(abs(sum(r["probabilities"].values()) - 1) < 1e-5 for r in records)


def test_predict_file_keeps_order_and_ids(tmp_path):
    path = tmp_path / "posts.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "bericht"])
        for i in range(30):
            writer.writerow([f"p{i}", f"Post {i}, met komma en \"quote\"\nen newline"])
    out = run("predict", "--file", str(path), "--text-column", "bericht", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["id"] for r in rows] == [f"p{i}" for i in range(30)]
    assert set(rows[0]) == {"row", "id", "label", *(f"p_{label}" for label in LABELS)}


def test_predict_jsonl_file_with_explanations(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "text": t}) for i, t in
                              enumerate(["Stem op ons", "Kabinet besluit"])) + "\n")
    out_path = tmp_path / "out.jsonl"
    out = run("predict", "--file", str(path), "--explain", "-o", str(out_path))
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert [r["id"] for r in records] == [0, 1]
    assert all("explanation" in r for r in records)


def test_progress_bar_on_large_files(tmp_path):
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"text": f"post {i}"}) + "\n" for i in range(3000)))
    out = run("predict", "--file", str(path), "-o", str(tmp_path / "o.jsonl"))
    assert out.returncode == 0
    assert "post/s" in out.stderr and "3000/3000" in out.stderr
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 3000


@pytest.mark.parametrize("args, message", [
    (["predict", "--file", "/nonexistent/x.csv"], "file not found"),
    (["predict", "--file", "x.docx"], "unsupported file type"),
    (["predict", "--model", "/nonexistent", "x"], "no such model folder"),
    (["evaluate", "/nonexistent.jsonl"], "file not found"),
    (["train", "/nonexistent.jsonl", "-o", "/tmp/x"], "file not found"),
])
def test_user_errors_are_one_line(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().startswith("afzender: error:") and message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_bad_column_and_corrupt_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b"\n')
    out = run("predict", "--file", str(path))
    assert out.returncode == 2 and "line 2" in out.stderr and "Traceback" not in out.stderr
    out = run("predict", "--file", str(path), "--text-column", "body")
    assert out.returncode == 2 and "'body'" in out.stderr


def test_missing_text_is_an_error_naming_the_row_and_empty_text_a_post(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"text": "a"}\n{"text": ""}\n{"text": null}\n')
    out = run("predict", "--file", str(path))
    assert out.returncode == 2 and "line/row 3" in out.stderr and "missing" in out.stderr
    assert "Traceback" not in out.stderr
    path.write_text('{"text": "a"}\n{"text": ""}\n')
    out = run("predict", "--file", str(path))
    assert out.returncode == 0 and len(out.stdout.splitlines()) == 2


def test_bad_option_exits_nonzero():
    out = run("predict", "--no-such-option")
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_debug_shows_traceback_and_exits_as_without_it():
    out = run("--debug", "predict", "--file", "/nonexistent/x.csv")
    assert out.returncode == 2 and "Traceback" in out.stderr
    assert run("predict", "--file", "/nonexistent/x.csv").returncode == 2


def test_help_everywhere():
    for command in ([], ["predict"], ["train"], ["evaluate"], ["info"]):
        out = run(*command, "--help")
        assert out.returncode == 0 and "usage: afzender" in out.stdout


def test_info_shows_the_card():
    out = run("info")
    assert out.returncode == 0 and "kind: static" in out.stdout and "model card" in out.stdout


def test_train_then_predict_with_that_model(tmp_path, tiny_rows):
    data = tmp_path / "train.csv"
    with open(data, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tekst", "soort"])
        loose = {"minister-in-functie": "functie", "partijpoliticus": "Partij", "privépersoon": "prive"}
        writer.writerows((t, loose[l]) for t, l in tiny_rows)
    out = run("train", str(data), "--text-column", "tekst", "--label-column", "soort",
              "-o", str(tmp_path / "m"), "--C", "4")
    assert out.returncode == 0, out.stderr
    out = run("predict", "--model", str(tmp_path / "m"), "Stem op onze partij")
    assert out.returncode == 0 and out.stdout.split()[0] in LABELS


def test_jsonl_rows_are_ints(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("text\nStem op ons\nHet kabinet besluit\n", encoding="utf-8")
    out = run("predict", "--file", str(path))
    assert [json.loads(line)["row"] for line in out.stdout.splitlines()] == [2, 3]
    out = run("predict", "--format", "jsonl", "een", "twee")
    assert [json.loads(line)["row"] for line in out.stdout.splitlines()] == [0, 1]


def test_version():
    import afzender

    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"afzender {afzender.__version__}"


@pytest.mark.parametrize("content, suffix", [("", ".jsonl"), ("\n\n", ".jsonl"), ("text\n", ".csv")])
def test_predict_on_an_empty_file_says_so(tmp_path, content, suffix):
    path = tmp_path / f"empty{suffix}"
    path.write_text(content, encoding="utf-8")
    out = run("predict", "--file", str(path))
    assert out.returncode == 0 and out.stdout == ""
    assert out.stderr.strip() == f"afzender: warning: no posts in {path}; nothing was classified"


def test_data_warnings_are_one_line(tmp_path, tiny_rows):
    path = tmp_path / "d.jsonl"
    rows = [{"text": t, "label": l} for t, l in tiny_rows] + [{"text": " ", "label": "partij"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = run("train", str(path), "-o", str(tmp_path / "m"), "--C", "4")
    assert out.returncode == 0, out.stderr
    warning_lines = [line for line in out.stderr.splitlines() if "empty post" in line]
    assert warning_lines == ["afzender: warning: 1 empty post(s) not used for training: line 16"]
    assert "warnings.warn" not in out.stderr and ".py:" not in out.stderr


def test_train_prints_the_rows_of_each_role(tmp_path, tiny_rows):
    path = tmp_path / "d.jsonl"
    rows = [{"text": t, "label": l, "split": "test" if i % 5 == 0 else "train"}
            for i, (t, l) in enumerate(tiny_rows * 2)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = run("train", str(path), "-o", str(tmp_path / "m"), "--C", "4")
    assert out.returncode == 0, out.stderr
    assert "rows: train 19, dev 5, test 6 (dev: carved from the train rows by row" in out.stdout
    assert "d test split: macro-F1" in out.stdout and "n=6" in out.stdout


def test_check_without_account_type_says_it_assumed_corporate():
    out = run("check", "--help")
    assert "default: corporate" in " ".join(out.stdout.split())
    draft = "Stem op onze partij, word vandaag nog lid!"
    out = run("check", draft)
    assert out.returncode == 1
    assert out.stdout.strip().splitlines()[-1].startswith("Let op: geen --account-type opgegeven")
    out = run("check", "--lang", "en", "--json", draft)
    record = json.loads(out.stdout)
    assert record["account_type"] == "corporate" and record["account_type_assumed"] is True
    out = run("check", "--account-type", "corporate", draft)
    assert "account-type" not in out.stdout
    assert json.loads(run("check", "--json", "--account-type", "corporate", draft).stdout)[
        "account_type_assumed"] is False


def test_train_help_explains_the_one_standard_error_rule():
    text = " ".join(run("train", "--help").stdout.split())
    assert "one-standard-error rule" in text and "SMALLEST C" in text
    assert "test' are never trained on" in text


def test_train_kind_choices_come_from_the_registry_and_model_is_a_deprecated_alias():
    import warnings as _warnings

    from afzender.backends.registry import KINDS
    from afzender.cli import build_parser
    from afzender.cli.train import _kind

    parser = build_parser()
    args = parser.parse_args(["train", "d.csv", "-o", "m", "--kind", "ensemble"])
    assert _kind(args) == "ensemble"
    assert _kind(parser.parse_args(["train", "d.csv", "-o", "m"])) == "linear"
    args = parser.parse_args(["train", "d.csv", "-o", "m", "--model", "transformer"])
    with pytest.warns(FutureWarning, match="--kind transformer"):
        assert _kind(args) == "transformer"
    args = parser.parse_args(["train", "d.csv", "-o", "m", "--kind", "linear", "--model", "ensemble"])
    with pytest.raises(ValueError, match="disagree"), _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        _kind(args)
    train_parser = next(a for a in parser._subparsers._group_actions[0].choices.values()
                        if a.prog.endswith("train"))
    kind_action = next(a for a in train_parser._actions if "--kind" in a.option_strings)
    assert tuple(kind_action.choices) == KINDS
