"""Label mix: EM estimation without labels, probabilities under another mix, the API and
the CLI flag."""

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afzender import LABELS
from afzender.label_mix import check_mix, estimate_mix, shift_probabilities

TRAINED = np.array([0.25, 0.5, 0.25])


def calibrated_posteriors(mix: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Posts of a known mix, with the exact posteriors of a model trained on ``TRAINED``:
    each label draws a 2-d Gaussian feature, the posterior is Bayes' rule under TRAINED."""
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 1.5], [1.3, -0.8], [-1.3, -0.8]])
    y = rng.choice(len(LABELS), size=n, p=mix)
    x = means[y] + rng.normal(size=(n, 2))
    likelihood = np.exp(-0.5 * ((x[:, None, :] - means[None]) ** 2).sum(-1))
    posterior = likelihood * TRAINED
    return y, posterior / posterior.sum(1, keepdims=True)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.05, 1.0), min_size=3, max_size=3), st.integers(0, 10_000))
def test_em_recovers_a_mix_that_counting_misses(weights, seed):
    mix = np.array(weights) / sum(weights)
    y, proba = calibrated_posteriors(mix, 6000, seed)
    true = np.bincount(y, minlength=3) / len(y)
    estimate, iterations = estimate_mix(proba, TRAINED)
    assert np.abs(estimate - true).max() < 0.04
    assert abs(estimate.sum() - 1) < 1e-9 and iterations >= 1


def test_em_beats_counting_far_from_the_training_mix():
    y, proba = calibrated_posteriors(np.array([0.04, 0.9, 0.06]), 8000, 1)
    true = np.bincount(y, minlength=3) / len(y)
    counted = np.bincount(proba.argmax(1), minlength=3) / len(y)
    estimate, _ = estimate_mix(proba, TRAINED)
    assert np.abs(estimate - true).sum() < np.abs(counted - true).sum() / 2


def test_shift_to_the_training_mix_changes_nothing_and_rows_sum_to_one():
    _, proba = calibrated_posteriors(np.array([0.3, 0.4, 0.3]), 500, 2)
    assert np.allclose(shift_probabilities(proba, TRAINED, TRAINED), proba)
    shifted = shift_probabilities(proba, TRAINED, np.array([0.1, 0.8, 0.1]))
    assert np.allclose(shifted.sum(1), 1)
    assert (shifted[:, 1] >= proba[:, 1] - 1e-12).all()   # the grown label only gains


def test_estimate_needs_posts():
    with pytest.raises(ValueError, match="no posts"):
        estimate_mix(np.zeros((0, 3)), TRAINED)


@pytest.mark.parametrize("mix, message", [
    ([0.2, 0.5, 0.3], "must map each label"),
    ({"minister": 0.2, "partij": 0.8}, "no share for 'privépersoon'"),
    ({"minister": 0.2, "partij": 0.5, "privé": 0.3, "kat": 0.1}, "unknown label 'kat'"),
    ({"minister": 0.2, "minister-in-functie": 0.1, "partij": 0.5, "privé": 0.3}, "given twice"),
    ({"minister": -0.2, "partij": 0.5, "privé": 0.3}, "positive, finite"),
    ({"minister": 0, "partij": 0.5, "privé": 0.3}, "positive, finite"),
    ({"minister": float("nan"), "partij": 0.5, "privé": 0.3}, "positive, finite"),
    ({"minister": "0.2", "partij": 0.5, "privé": 0.3}, "positive, finite"),
])
def test_a_bad_mix_is_refused_with_its_reason(mix, message):
    with pytest.raises((TypeError, ValueError), match=message):
        check_mix(mix)


def test_percentages_and_aliases_are_a_mix():
    assert np.allclose(check_mix({"partij": 60, "minister": 10, "privé": 30}), [0.1, 0.6, 0.3])


def test_classifier_with_mix_moves_labels_and_leaves_the_original(default_model, corpus_rows):
    texts = [r["text"] for r in corpus_rows if r.get("split") == "test"][:600]
    before = default_model.predict_proba(texts)
    same = default_model.with_mix(default_model.trained_mix)
    assert np.allclose(same.predict_proba(texts), before)
    partisan = default_model.with_mix({"minister": 0.02, "partij": 0.96, "privé": 0.02})
    labels = partisan.predict(texts)
    assert len(labels) == len(texts)
    assert labels.count("partijpoliticus") > list(before.argmax(1)).count(1)
    assert partisan.mix["partijpoliticus"] == pytest.approx(0.96)
    assert default_model.mix is None and np.allclose(default_model.predict_proba(texts), before)
    assert partisan.with_mix(None).mix is None


def test_estimated_mix_of_the_test_split_is_close(default_model, corpus_rows):
    test = [r for r in corpus_rows if r.get("split") == "test"]
    true = {label: sum(r["label"] == label for r in test) / len(test) for label in LABELS}
    estimate = default_model.estimate_mix([r["text"] for r in test])
    assert max(abs(estimate[label] - true[label]) for label in LABELS) < 0.03


def test_an_adapted_classifier_is_not_saved(default_model, tmp_path):
    adapted = default_model.with_mix({"minister": 1, "partij": 1, "privé": 1})
    with pytest.raises(ValueError, match="with_mix"):
        adapted.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_a_model_without_its_training_mix_says_so(default_model):
    import afzender

    bare = afzender.Classifier(default_model.backend, {})
    with pytest.raises(ValueError, match="label_counts"):
        bare.with_mix({"minister": 1, "partij": 1, "privé": 1})
    with pytest.raises(ValueError, match="label_counts"):
        bare.estimate_mix(["Stem op ons!"])


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "afzender.cli", *args], input=stdin,
                          capture_output=True, text=True)


def test_cli_adapt_mix_reports_the_mix_and_keeps_one_line_per_post():
    posts = ["Stem op ons!", "Lekker weekend gehad.", "Het kabinet verlaagt de energiebelasting."] * 10
    out = run("predict", "--adapt-mix", "--format", "csv", stdin="\n".join(posts) + "\n")
    assert out.returncode == 0, out.stderr
    assert "label mix estimated on 30 posts" in out.stderr
    rows = out.stdout.strip().splitlines()[1:]
    assert [int(r.split(",")[0]) for r in rows] == list(range(1, 31))
    plain = run("predict", "--format", "csv", stdin="\n".join(posts) + "\n")
    assert len(plain.stdout.strip().splitlines()) == len(out.stdout.strip().splitlines())


def test_cli_adapt_mix_scores_each_post_once(monkeypatch, capsys):
    from afzender.backends.ensemble.model import EnsembleModel
    from afzender.cli import main

    scored = []
    original = EnsembleModel.predict_proba   # the shipped static model is an EnsembleModel

    def counting(self, texts, threads=None):
        scored.extend(texts)
        return original(self, texts, threads)

    monkeypatch.setattr(EnsembleModel, "predict_proba", counting)
    posts = ["Stem op ons!", "Lekker weekend gehad.", "Het kabinet verlaagt de energiebelasting.",
             "Stem op ons!"]
    assert main(["predict", "--adapt-mix", "--format", "jsonl", *posts]) == 0
    labels = [json.loads(line)["label"] for line in capsys.readouterr().out.splitlines()]
    assert len(labels) == len(posts) and labels[0] == labels[3]
    assert sorted(scored) == sorted(set(posts))        # each distinct post scored once
