"""batch_size, threads and progress on prediction: same results, clear errors, a visible bar."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import afzender

ROOT = Path(__file__).resolve().parents[1]
POSTS = [json.loads(line)["text"] for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")][:2500]


@pytest.mark.parametrize("batch_size,threads", [(1, None), (7, 1), (1000, 2), (None, 3), (4096, 8)])
def test_batch_size_and_threads_do_not_change_results(batch_size, threads):
    model = afzender.load()
    expected = model.predict_proba(POSTS)
    got = model.predict_proba(POSTS, batch_size=batch_size, threads=threads)
    assert np.array_equal(got, expected)
    assert afzender.predict(POSTS[:50], batch_size=batch_size, threads=threads) == model.predict(POSTS[:50])
    results = list(model.predict_iter(iter(POSTS[:300]), batch_size=batch_size or 64, threads=threads))
    np.testing.assert_array_equal([[r.probabilities[l] for l in afzender.LABELS] for r in results],
                                  expected[:300])


def test_numpy_path_honours_threads_too(monkeypatch):
    from afzender.backends.linear import model as linear

    monkeypatch.setattr(linear, "_fastcore", None)
    model = afzender.load()
    assert np.array_equal(model.predict_proba(POSTS[:500], threads=3), model.predict_proba(POSTS[:500]))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_controls_are_named(bad):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        afzender.predict_proba(["x"], batch_size=bad)
    with pytest.raises(ValueError, match="threads must be a positive integer"):
        afzender.predict(["x"], threads=bad)


def test_predict_iter_progress_bar_shows_a_rate(capsys):
    list(afzender.load().predict_iter(POSTS[:200], batch_size=50, progress=True))
    err = capsys.readouterr().err
    assert "200" in err and "posts/s" in err


def test_cli_batch_size_and_threads(tmp_path):
    source = tmp_path / "posts.jsonl"
    source.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(POSTS[:300])),
                      encoding="utf-8")

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "afzender.cli", "predict", "--file", str(source),
                               *extra], capture_output=True, text=True)

    plain, tuned = run(), run("--batch-size", "17", "--threads", "2")
    assert plain.returncode == tuned.returncode == 0
    assert plain.stdout == tuned.stdout and len(tuned.stdout.splitlines()) == 300
    bad = run("--threads", "0")
    assert bad.returncode == 2 and "--threads" in bad.stderr and "at least 1" in bad.stderr


def test_diagnostics_go_through_the_afzender_logger(caplog, tiny_rows):
    import logging

    with caplog.at_level(logging.INFO, logger="afzender"):
        afzender.load()
        afzender.train(tiny_rows, bits=14, progress=False)
    messages = [r.getMessage() for r in caplog.records if r.name == "afzender"]
    assert any(m.startswith("loaded the static model in") for m in messages)
    assert any(m.startswith("linear model: C=") for m in messages)


def test_cli_verbose_prints_diagnostics_and_says_when_the_c_core_is_off():
    env = {**__import__("os").environ, "AFZENDER_NO_FASTCORE": "1"}
    quiet = subprocess.run([sys.executable, "-m", "afzender.cli", "predict", "Stem op ons"],
                           capture_output=True, text=True, env=env)
    loud = subprocess.run([sys.executable, "-m", "afzender.cli", "-v", "predict", "Stem op ons"],
                          capture_output=True, text=True, env=env)
    assert quiet.stderr == "" and quiet.stdout == loud.stdout
    assert "afzender: loaded the static model" in loud.stderr
    assert "numpy path" in loud.stderr
