"""notebooks/retrain.ipynb runs top to bottom on a small sample, with its outputs checked:
custom column names are passed through, and only held-out posts are scored."""

import csv
import json
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "retrain.ipynb"


def _run(tmp_path, replacements):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for old, new in replacements.items():
        assert old in params.source
        params.source = params.source.replace(old, new)
    nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    return text, images


def _check_common(text, images, tmp_path):
    n_train, n_dev, n_test = map(int, re.search(r"rows: train (\d+), dev (\d+), test (\d+)", text).groups())
    scored = re.search(r"scored: split test.*: (\d+) of (\d+) posts", text)
    assert scored and int(scored.group(1)) == n_test > 0
    assert int(scored.group(2)) == n_train + n_dev + n_test
    f1 = float(re.search(r"macro-F1 ([0-9.]+)", text).group(1))
    assert 0.3 < f1 < 1.0
    predictions = re.findall(r"^(minister-in-functie|partijpoliticus|privépersoon) ", text, re.M)
    assert len(predictions) == 3
    assert len(images) == 2
    assert (tmp_path / "retrained-model" / "manifest.json").is_file()
    return n_test


@pytest.mark.slow
def test_notebook_on_the_corpus_sample_with_custom_columns(tmp_path):
    text, images = _run(tmp_path, {
        "SAMPLE_SIZE = 1500": "SAMPLE_SIZE = 400",
        'TEXT_COLUMN, LABEL_COLUMN = "text", "label"': 'TEXT_COLUMN, LABEL_COLUMN = "bericht", "soort"',
        'ACCOUNT_COLUMN = "account"': 'ACCOUNT_COLUMN = "afzender"'})
    assert "columns ['afzender', 'bericht', 'id', 'soort', 'split']" in text
    assert "test posts: the rows whose split column says 'test'" in text
    _check_common(text, images, tmp_path)
    assert "(resampling accounts)" in text


@pytest.mark.slow
def test_notebook_on_a_users_file_without_split_or_accounts(tmp_path, corpus_rows):
    data = tmp_path / "mijn.csv"
    with open(data, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["tekst", "capaciteit"])
        writer.writerows((r["text"], r["label"]) for r in corpus_rows[::25])
    text, images = _run(tmp_path, {"DATA_CSV = None": f"DATA_CSV = {json.dumps(str(data))}",
                                   'TEXT_COLUMN, LABEL_COLUMN = "text", "label"':
                                   'TEXT_COLUMN, LABEL_COLUMN = "tekst", "capaciteit"'})
    assert "test rows chosen by row (no account column)" in text
    n_test = _check_common(text, images, tmp_path)
    assert n_test == round(len(corpus_rows[::25]) * 0.2)
    assert "(resampling posts)" in text
