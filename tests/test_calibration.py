"""Evidence calibration: no false certainty for posts without words (issue 12)."""

import json
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import afzender
from afzender.backends.linear import model as linear
from afzender.calibration import calibrated_logits, evidence_share, fit_calibration, softmax
from afzender.evaluation.metrics import LENGTH_BUCKETS
from afzender.labels import LABELS

NO_WORDS = ["", "   ", "👍", "https://t.co/abc123", "www.rijksoverheid.nl/x", "(LINK)", "!!!",
            "@USER ❤️❤️", "👀 (LINK)", "🇳🇱🇳🇱 #", "?! ... 🙏", "\u200b", "@minister @premier"]
NOT_WORDS = st.lists(st.sampled_from(["👍", "❤️", "🎉", "!", "?", ".", "…", " ", "\n", "@USER",
                                      "@x_1", "#", "@", "(LINK)", "https://t.co/Ab1", "www.x.nl",
                                      "🇳🇱", "\u200b", "-", "«»", "😡"]), max_size=8).map(" ".join)


def paths():
    """Both scoring paths: the C core (when built) and numpy."""
    yield "core"
    with mock.patch.object(linear, "_fastcore", None):
        yield "numpy"


def test_post_without_words_gets_the_training_prior(tiny_model, tiny_rows):
    counts = np.array([sum(label == name for _, label in tiny_rows) for name in LABELS], float)
    prior = counts / counts.sum()
    assert np.allclose(tiny_model.backend.prior, prior)
    for _ in paths():
        proba = tiny_model.predict_proba(NO_WORDS)
        assert np.allclose(proba, prior, rtol=0, atol=1e-12)
        result = tiny_model.classify("👍", explain=True)
        assert result.explanation == [] or all(c == 0 for _, c in result.explanation)


@settings(max_examples=80, deadline=None)
@given(st.lists(NOT_WORDS, min_size=1, max_size=6))
def test_shipped_model_doubts_every_post_without_words(default_model, texts):
    proba = default_model.predict_proba(texts)
    assert (proba.max(axis=1) <= 0.6).all()


def test_shipped_model_no_false_certainty_examples(default_model):
    """The posts of the issue: no word features, so the prior (at most 0.6), never 0.98."""
    for text in ("", "👍", "https://t.co/abc123"):
        result = default_model.classify(text)
        assert result.confidence <= 0.6
        assert result.probabilities == pytest.approx(dict(zip(LABELS, default_model.backend.linear.prior)))
    assert afzender.check("👍", account_type="corporate").unsure


def test_old_model_folder_without_evidence_fields_scores_as_before(tiny_model, tmp_path):
    folder = tiny_model.save(tmp_path / "old")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for key in ("prior", "evidence_k", "evidence"):
        manifest["config"].pop(key)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    old = afzender.load(folder).backend
    assert old.prior is None and old.evidence_k is None
    texts = ["", "👍", "Stem op ons!", "Het kabinet trekt geld uit voor leraren."]
    for _ in paths():
        raw, _evidence = old.raw_scores(texts)
        assert np.array_equal(old.logits(texts), raw / old.temperature)
    assert not np.allclose(old.predict_proba([""])[0], tiny_model.backend.prior)


def test_calibrated_logits_mix_model_and_prior():
    raw = np.array([[4.0, -1.0, 0.0]] * 4)
    prior = np.array([0.2, 0.5, 0.3])
    evidence = np.array([0.0, 1.0, 3.0, 1000.0])
    logits = calibrated_logits(raw, evidence, 2.0, prior, 1.0)
    assert np.allclose(softmax(logits)[0], prior)
    assert np.allclose(logits[1], 0.5 * raw[1] / 2 + 0.5 * np.log(prior))
    confidence = softmax(logits)[:, 0]
    assert (np.diff(confidence) > 0).all()          # more words, more confidence
    assert np.allclose(softmax(logits)[3], softmax(raw / 2.0)[3], atol=1e-3)
    assert np.array_equal(calibrated_logits(raw, evidence, 2.0), raw / 2.0)   # no prior: as before
    assert list(evidence_share(evidence, 0.0)) == [0.0, 1.0, 1.0, 1.0]


def test_fit_calibration_learns_that_short_posts_are_less_certain():
    """Labels drawn from a model that is over-confident on few words: the fit finds k."""
    rng = np.random.default_rng(0)
    n, prior = 6000, np.array([0.3, 0.45, 0.25])
    evidence = rng.integers(0, 30, n).astype(float)
    raw = rng.normal(size=(n, 3)) * 4
    truth = softmax(calibrated_logits(raw, evidence, 1.5, prior, 4.0))
    y = np.array([rng.choice(3, p=p) for p in truth])
    t, k = fit_calibration(raw, evidence, y, prior)
    assert 1.2 < t < 1.9 and 2.0 < k < 8.0
    assert fit_calibration(raw, evidence, y, prior) == (t, k)   # deterministic


def test_evaluation_reports_calibration_by_length(tiny_model, tiny_rows, tmp_path):
    rows = [*tiny_rows, ("👍", "privépersoon"), ("Stem!", "partijpoliticus"), ("x" * 200, "privépersoon")]
    report = afzender.evaluate(tiny_model, rows, bootstrap=0)
    by_length = report.metrics["ece_by_length"]
    assert list(by_length) == [name for name, _, _ in LENGTH_BUCKETS]
    assert sum(b["n"] for b in by_length.values()) == len(rows)
    short = sum(len(text) < 40 for text, _ in rows)
    assert by_length["<40"]["n"] == short >= 2 and by_length["≥160"]["n"] == 1
    for bucket in by_length.values():
        if bucket["n"]:
            assert 0 <= bucket["ece"] <= 1 and 0 <= bucket["accuracy"] <= 1
    markdown = report.to_markdown()
    assert "Calibration by post length" in markdown and f"| <40 | {short} |" in markdown
