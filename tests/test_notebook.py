"""notebooks/retrain.ipynb runs top to bottom on a small sample, with its outputs checked."""

import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "retrain.ipynb"


def test_retrain_notebook_runs(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = params.source.replace("SAMPLE_SIZE = 1500", "SAMPLE_SIZE = 400")
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")
    f1 = float(re.search(r"macro-F1 ([0-9.]+)", text).group(1))
    assert 0.3 < f1 <= 1.0
    predictions = re.findall(r"^(minister-in-functie|partijpoliticus|privépersoon) ", text, re.M)
    assert len(predictions) == 3
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2
    assert (tmp_path / "retrained-model" / "manifest.json").is_file()
