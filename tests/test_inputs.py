"""Inputs a user will pass: DataFrames and Datasets with column=, Excel's ';' CSVs, long fields."""

import csv
import json
import subprocess
import sys

import pandas as pd
import pytest

import afzender
from afzender.errors import DataError
from afzender.inputs.tables import csv_separator, iter_file_rows, read_table, sniff_separator

POSTS = ["Stem op 17 maart op onze partij!", "Het kabinet trekt 300 miljoen uit voor de jeugdzorg.",
         "Heerlijk gefietst met de kinderen."]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "afzender.cli", *args], capture_output=True, text=True)


def test_dataframe_needs_column_and_then_works(default_model):
    frame = pd.DataFrame({"id": [1, 2, 3], "bericht": POSTS})
    for call in (afzender.predict, afzender.predict_proba, afzender.classify,
                 default_model.predict, default_model.predict_proba, default_model.classify):
        with pytest.raises(TypeError, match=r"DataFrame.*column='id'.*'bericht'"):
            call(frame)
    assert afzender.predict(frame, column="bericht") == afzender.predict(POSTS)
    assert afzender.predict_proba(frame, column="bericht").shape == (3, 3)
    assert [r.label for r in afzender.classify(frame, column="bericht")] == afzender.predict(POSTS)
    with pytest.raises(DataError, match="no column 'text'.*'bericht'"):
        afzender.predict(frame, column="text")
    with pytest.raises(TypeError, match=r"texts\[1\] is missing"):
        afzender.predict(pd.DataFrame({"text": ["a", None]}), column="text")
    assert afzender.predict(frame["bericht"]) == afzender.predict(POSTS)   # a Series is fine


def test_dataset_column_simply_works():
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"text": POSTS, "label": ["partij", "functie", "prive"]})
    assert afzender.predict(ds, column="text") == afzender.predict(POSTS)
    with pytest.raises(TypeError, match=r"Dataset.*column="):
        afzender.predict(ds)


def test_column_only_for_tables():
    with pytest.raises(TypeError, match="column= is for a pandas DataFrame"):
        afzender.predict(POSTS, column="text")


def write(path, rows, sep):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=sep).writerows(rows)
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_csv_separator_is_sniffed(tmp_path, sep):
    rows = [["text", "label"], ["Stem op ons, nu; echt!", "partij"], ["Mooi; weer", "prive"]]
    path = write(tmp_path / "posts.csv", rows, sep)
    assert sniff_separator(path) == sep
    table = read_table(path, ["text", "label"])
    assert table["text"] == [rows[1][0], rows[2][0]]


def test_excel_semicolon_csv_trains_and_predicts(tmp_path):
    rows = [["text", "label"]] + [[f"Stem op onze partij, ronde {i}!", "partij"] for i in range(4)] + \
        [[f"Het kabinet besluit; maatregel {i}.", "functie"] for i in range(4)] + \
        [[f"Lekker gefietst; dag {i}.", "prive"] for i in range(4)]
    path = write(tmp_path / "excel.csv", rows, ";")
    model = afzender.train(str(path), progress=False, C=1.0)
    assert model.metadata["training"]["n_used"] == 12
    out = cli("predict", "--file", str(path), "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 13


def test_sep_option_overrides_sniffing(tmp_path):
    path = write(tmp_path / "posts.csv", [["text;id"], ["a;1"]], ",")   # one column named 'text;id'
    assert sniff_separator(path) == ";"
    with csv_separator(","):
        assert next(iter_file_rows(path))[1] == {"text;id": "a;1"}
    out = cli("predict", "--file", str(path), "--sep", ",", "--text-column", "text;id")
    assert out.returncode == 0, out.stderr
    out = cli("predict", "--file", str(path), "--sep", ";", "--id-column", "id")
    assert out.returncode == 0 and json.loads(out.stdout)["id"] == "1"
    for command in ("train", "evaluate", "audit"):
        assert "--sep" in cli(command, "--help").stdout


def test_long_csv_field_is_not_corrupt(tmp_path):
    long_post = "lang bericht " * 20_000          # 260 KB, over csv's 128 KB default
    path = write(tmp_path / "long.csv", [["text", "label"], [long_post, "prive"]], ",")
    assert read_table(path, ["text", "label"])["text"] == [long_post]
    out = cli("predict", "--file", str(path))
    assert out.returncode == 0, out.stderr
