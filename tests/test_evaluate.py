import json
import subprocess
import sys

import numpy as np
import pytest

import afzender
from afzender import LABELS
from afzender.evaluation.metrics import bootstrap_macro_f1, compute_metrics, expected_calibration_error


def _one_hot_proba(pred, confidence=0.8):
    proba = np.full((len(pred), 3), (1 - confidence) / 2)
    proba[np.arange(len(pred)), pred] = confidence
    return proba


def test_metrics_match_a_hand_computed_case():
    labels = [LABELS[i] for i in (0, 0, 1, 1, 2, 2)]
    proba = _one_hot_proba([0, 1, 1, 1, 2, 0])
    m = compute_metrics(labels, proba, bootstrap=0)
    # class 0: P 1/2 R 1/2 F1 .5; class 1: P 2/3 R 1 F1 .8; class 2: P 1 R 1/2 F1 2/3
    assert m["accuracy"] == pytest.approx(4 / 6, abs=1e-4)
    assert m["per_class_f1"] == pytest.approx(dict(zip(LABELS, [0.5, 0.8, 2 / 3])), abs=1e-4)
    assert m["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3, abs=1e-4)
    assert m["per_class"]["partijpoliticus"]["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert m["share_predicted"]["partijpoliticus"] == pytest.approx(0.5)
    # all confidences are 0.8 and 4/6 are right: one bin, gap |0.6667 - 0.8|
    assert m["ece"] == pytest.approx(0.8 - 4 / 6, abs=1e-4)


def test_ece_by_hand():
    proba = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]])
    y = np.array([0, 1, 1, 2])
    ece, bins = expected_calibration_error(proba, y)
    # bin (0.8, 0.9]: conf .9 acc .5 (2 posts); bin (0.5, 0.6]: conf .6 acc 1 (2 posts)
    assert ece == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)
    assert [b["n"] for b in bins] == [2, 2]


def test_bootstrap_resamples_accounts_not_posts():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    pred = np.array([0, 1, 2, 1, 1, 0, 0, 2])
    one_group = bootstrap_macro_f1(y, pred, ["acc"] * len(y), n=200)
    assert one_group[0] == one_group[1]  # a single account: every resample is the whole set
    per_post = bootstrap_macro_f1(y, pred, None, n=200)
    assert per_post[0] < per_post[1]
    assert bootstrap_macro_f1(y, pred, None, n=50, minus=pred) == (0.0, 0.0)  # paired: no gap
    better = bootstrap_macro_f1(y, y, list("aabbccdd"), n=200, minus=pred)
    assert 0 < better[0] <= better[1] <= 1  # the perfect system wins on every resample
    m = compute_metrics([LABELS[i] for i in y], _one_hot_proba(pred), groups=list("aabbccdd"),
                        bootstrap=300)
    assert m["ci_resampled"] == "accounts"
    assert m["macro_f1_ci95"][0] <= m["macro_f1"] <= m["macro_f1_ci95"][1]


def test_evaluate_writes_reports_and_plots(tmp_path, tiny_model):
    rows = [{"text": t, "label": l, "account": f"a{i % 4}", "kind": "x" if i % 2 else "y"}
            for i, (t, l) in enumerate([
                ("Het kabinet besluit vandaag over de zorg", "functie"),
                ("Stem op onze partij!", "partij"), ("Lekker gefietst", "prive"),
                ("Nieuwe regels vanaf maandag", "functie"), ("Word lid van onze partij", "partij"),
                ("Taart gebakken met de kinderen", "prive")])]
    report = afzender.evaluate(tiny_model, rows, by=["kind"], output_dir=tmp_path)
    assert report.metrics["n"] == 6 and set(report.breakdown["kind"]) == {"x", "y"}
    assert report.metrics["ci_resampled"] == "accounts"
    for name in ("report.json", "report.md", "confusion_matrix.png", "reliability.png"):
        assert (tmp_path / name).stat().st_size > 100
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["metrics"]["macro_f1"] == report.metrics["macro_f1"]
    assert "| partijpoliticus |" in report.to_markdown()


def test_evaluate_cli(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in [
        ("Vanaf 1 juni gaan de musea open, meldt het kabinet", "functie"),
        ("Stem op onze partij en word lid!", "partij"), ("Fijne verjaardag mam!", "prive")]))
    out = subprocess.run([sys.executable, "-m", "afzender.cli", "evaluate", str(path),
                          "--output-dir", str(tmp_path / "e")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "macro-F1" in out.stdout and (tmp_path / "e" / "reliability.png").is_file()


def _split_rows():
    posts = [("Het kabinet besluit vandaag over de zorg", "functie"), ("Stem op onze partij!", "partij"),
             ("Lekker gefietst", "prive"), ("Nieuwe regels vanaf maandag", "functie"),
             ("Word lid van onze partij", "partij"), ("Taart gebakken met de kinderen", "prive")]
    return [{"text": t, "label": l, "split": s} for s in ("train", "test", "validation")
            for t, l in posts][:-2]


def test_evaluate_scores_the_test_split_by_default(tiny_model):
    rows = _split_rows()
    report = afzender.evaluate(tiny_model, rows, bootstrap=0)
    assert report.metrics["n"] == 6 and report.scored.startswith("split test")
    assert "Scored: split test" in report.to_markdown() and report.to_dict()["scored"] == report.scored
    assert afzender.evaluate(tiny_model, rows, split="all", bootstrap=0).metrics["n"] == 16
    assert afzender.evaluate(tiny_model, rows, split="dev", bootstrap=0).metrics["n"] == 4
    assert afzender.evaluate(tiny_model, rows, split="validation", bootstrap=0).metrics["n"] == 4
    assert afzender.evaluate(tiny_model, rows, split="train", bootstrap=0).metrics["n"] == 6
    with pytest.raises(afzender.DataError, match="split must be"):
        afzender.evaluate(tiny_model, rows, split="holdout")
    with pytest.raises(afzender.DataError, match="no split column"):
        afzender.evaluate(tiny_model, [{k: r[k] for k in ("text", "label")} for r in rows], split="test")
    with pytest.raises(afzender.DataError, match="'x' at index 3"):
        afzender.evaluate(tiny_model, [{**r, "split": "x"} if i == 3 else r for i, r in enumerate(rows)])
    plain = afzender.evaluate(tiny_model, [{k: r[k] for k in ("text", "label")} for r in rows], bootstrap=0)
    assert plain.metrics["n"] == 16 and plain.scored == "all rows (16 posts, no split column)"


def test_evaluate_a_dataset_dict(tiny_model):
    from datasets import Dataset

    rows = [{k: r[k] for k in ("text", "label")} for r in _split_rows()]
    data = Dataset.from_list(rows).train_test_split(test_size=5, seed=0)
    assert afzender.evaluate(tiny_model, data, bootstrap=0).metrics["n"] == 5


def test_evaluate_cli_split(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _split_rows()))
    cli = [sys.executable, "-m", "afzender.cli", "evaluate", str(path)]
    out = subprocess.run(cli, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "Scored: split test (the default when there is a split column): 6 of 16 posts" in out.stdout
    assert "- posts: 6" in out.stdout
    out = subprocess.run(cli + ["--split", "all"], capture_output=True, text=True)
    assert "Scored: all rows (16 posts)" in out.stdout and "- posts: 16" in out.stdout
