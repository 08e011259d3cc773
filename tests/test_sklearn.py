"""afzender.sklearn.AfzenderClassifier: a scikit-learn citizen (Pipeline, CV by account, grid search).

Estimator checks: scikit-learn's generic checks feed numeric 2-D arrays, which an estimator of
posts (``input_tags.string``, no 2-D arrays) cannot take; ``check_estimator`` therefore runs only
``check_estimator_cloneable`` for it. The API checks that do not need numeric input are run one
by one below: cloneable, repr, parameters default-constructible, no attributes set in
``__init__``, ``get_params`` invariance, ``set_params``, tags. Skipped, because they feed numbers:
all fit/predict checks on synthetic numeric data (``check_fit2d_*``, ``check_classifiers_*``,
``check_estimators_dtypes``, ``check_dtype_object``, ``check_n_features_in``, …); their intent
(fit, predict, probabilities that sum to one, classes_ order, errors on bad input) is tested here
on posts instead.
"""

import json
import pickle
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.utils import estimator_checks as checks  # noqa: E402

import afzender  # noqa: E402
from afzender.sklearn import AfzenderClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def posts():
    """240 corpus posts, 80 per label, from at least 20 accounts."""
    rows = [json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")]
    picked, counts = [], Counter()
    for row in rows:
        if counts[row["label"]] < 80:
            counts[row["label"]] += 1
            picked.append(row)
    assert len({r["account"] for r in picked}) >= 20
    return ([r["text"] for r in picked], [r["label"] for r in picked], [r["account"] for r in picked])


@pytest.mark.parametrize("check", [
    checks.check_estimator_cloneable, checks.check_estimator_repr,
    checks.check_parameters_default_constructible, checks.check_no_attributes_set_in_init,
    checks.check_get_params_invariance, checks.check_set_params, checks.check_valid_tag_types,
    checks.check_estimator_tags_renamed,
])
def test_api_checks(check):
    check("AfzenderClassifier", AfzenderClassifier())


def test_fit_predict_matches_afzender_train(posts):
    texts, labels, _ = posts
    estimator = AfzenderClassifier(C=1.0, bits=16).fit(texts, labels)
    assert list(estimator.classes_) == list(afzender.LABELS)
    direct = afzender.train([{"text": t, "label": l} for t, l in zip(texts, labels)],
                            C=1.0, bits=16, progress=False)
    probabilities = estimator.predict_proba(texts[:50])
    np.testing.assert_allclose(probabilities, direct.predict_proba(texts[:50]))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert list(estimator.predict(texts[:50])) == direct.predict(texts[:50])
    assert estimator.score(texts, labels) > 0.9   # on its own training posts


def test_in_a_pipeline(posts):
    texts, labels, _ = posts
    pipeline = make_pipeline(FunctionTransformer(lambda xs: [x.replace("#", "") for x in xs]),
                             AfzenderClassifier(C=1.0, bits=16))
    pipeline.fit(texts, labels)
    assert len(pipeline.predict(texts[:7])) == 7


def test_cross_val_score_grouped_by_account(posts):
    texts, labels, accounts = posts
    scores = cross_val_score(AfzenderClassifier(C=1.0, bits=16), texts, labels, groups=accounts,
                             cv=GroupKFold(3), scoring="f1_macro")
    assert scores.shape == (3,) and np.all(scores > 0.5)


def test_grid_search_over_C(posts):
    texts, labels, accounts = posts
    search = GridSearchCV(AfzenderClassifier(bits=16), {"C": [0.25, 4.0]}, cv=GroupKFold(2),
                          scoring="f1_macro").fit(texts, labels, groups=accounts)
    assert search.best_params_["C"] in (0.25, 4.0)
    assert search.best_estimator_.classifier_.metadata["training"]["C"] == search.best_params_["C"]


def test_clone_and_pickle_for_joblib(posts):
    texts, labels, _ = posts
    fitted = AfzenderClassifier(C=1.0, bits=16).fit(texts, labels)
    assert not hasattr(clone(fitted), "classifier_")
    restored = pickle.loads(pickle.dumps(fitted))   # what joblib's process pools need
    np.testing.assert_allclose(restored.predict_proba(texts[:5]), fitted.predict_proba(texts[:5]))


def test_bad_input_is_named():
    estimator = AfzenderClassifier()
    with pytest.raises(TypeError, match=r"X\[1\]"):
        estimator.fit(["een post", 3, "nog een"], ["prive", "prive", "partij"])
    with pytest.raises(TypeError, match="one string"):
        estimator.fit("een post", ["prive"])
    with pytest.raises(ValueError, match="3 posts but y has 2"):
        estimator.fit(["a", "b", "c"], ["prive", "partij"])
    with pytest.raises(Exception, match="not fitted"):
        estimator.predict(["a"])
