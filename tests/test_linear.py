import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from afzender.features import occurrences
from afzender.labels import LABELS
from afzender.text import normalize_joined

POSTS = ["Het kabinet neemt maatregelen.", "", "Stem VVD!", "  ", "🎉🎉", "x" * 3000,
         "Vandaag sprak ik met de burgemeester van Rotterdam over veiligheid."]


def test_fast_scores_equal_sparse_reference(default_model):
    backend = default_model.backend.linear
    fast = backend.predict_proba(POSTS)
    reference = backend.reference_proba(POSTS)
    assert fast.shape == (len(POSTS), 3)
    assert np.abs(fast - reference).max() <= 1e-6


def test_post_alone_equals_post_in_batch(default_model):
    together = default_model.predict_proba(POSTS)
    alone = np.vstack([default_model.predict_proba([p]) for p in POSTS])
    assert np.abs(together - alone).max() <= 1e-9


def test_hashes_do_not_depend_on_position():
    a = occurrences(normalize_joined(["kabinet"]))
    b = occurrences(normalize_joined(["iets anders hier", "kabinet"]))
    assert sorted(a.buckets) == sorted(b.buckets[b.docs == 1])


def test_empty_post_gets_the_prior(default_model):
    prior = default_model.backend.linear.prior
    label_counts = default_model.metadata["training"]["label_counts"]
    counts = np.array([label_counts[label] for label in LABELS], dtype=float)
    assert np.allclose(prior, counts / counts.sum())        # the training data's class prior
    assert np.allclose(default_model.predict_proba(""), prior, rtol=0, atol=1e-12)
    assert np.allclose(default_model.predict_proba("   "), prior, rtol=0, atol=1e-12)


def test_explanation_names_words_of_the_post(default_model):
    result = default_model.classify("Stem op 17 maart op onze partij en word lid!", explain=True)
    words = [w for w, _ in result.explanation]
    assert result.label == "partijpoliticus"
    assert set(words) <= set("stem op 00 maart onze partij en word lid !".split())
    assert result.explanation[0][1] > 0  # the strongest word pushes towards the label
    contributions = [abs(c) for _, c in result.explanation]
    assert contributions == sorted(contributions, reverse=True)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=8))
def test_fast_equals_reference_on_any_text(default_model, texts):
    backend = default_model.backend.linear
    if texts:
        assert np.abs(backend.predict_proba(texts) - backend.reference_proba(texts)).max() <= 1e-6


def test_sample_weight_soft_labels(corpus_rows):
    from afzender.backends.linear.model import LinearModel

    rows = corpus_rows[:300]
    texts = [r["text"] for r in rows]
    y = np.array([LABELS.index(r["label"]) for r in rows])
    plain = LinearModel.fit(texts, y, C=1.0, bits=16)
    ones = LinearModel.fit(texts, y, C=1.0, bits=16, sample_weight=np.ones(len(y)))
    assert np.allclose(plain.weights, ones.weights, atol=1e-6)
    # soft labels: every post once per class; all weight on the gold class is the hard fit
    # (up to IDF, which counts each post three times), a weighted prior follows the weights
    repeated = texts * 3
    classes = np.repeat(np.arange(3), len(texts))
    onehot = (classes == np.tile(y, 3)).astype(float)
    keep = onehot > 0
    hard = LinearModel.fit([t for t, k in zip(repeated, keep) if k], classes[keep], C=1.0, bits=16,
                           sample_weight=onehot[keep])
    assert (hard.predict_proba(texts).argmax(1) == plain.predict_proba(texts).argmax(1)).mean() > 0.97
    soft = LinearModel.fit(repeated, classes, C=1.0, bits=16, sample_weight=np.full(len(classes), 1 / 3))
    assert np.allclose(soft.prior, 1 / 3)
    assert np.abs(soft.predict_proba(texts) - 1 / 3).max() < 0.05  # uniform targets teach nothing
