import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import afzender
from afzender import DataError
from afzender.errors import DataWarning


def _as_dicts(rows):
    return [{"text": t, "label": l} for t, l in rows]


def test_every_source_gives_the_same_model(tiny_rows, tmp_path):
    import pandas as pd
    from datasets import Dataset

    frame = pd.DataFrame(_as_dicts(tiny_rows))
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet")
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _as_dicts(tiny_rows)))
    sources = [tiny_rows, _as_dicts(tiny_rows), frame, Dataset.from_pandas(frame),
               tmp_path / "d.csv", str(tmp_path / "d.jsonl"), tmp_path / "d.parquet"]
    posts = ["Stem op ons", "Het kabinet besluit vandaag"]
    probas = [afzender.train(s, progress=False, C=4.0).predict_proba(posts) for s in sources]
    for proba in probas[1:]:
        assert np.allclose(proba, probas[0])


def test_dataset_dict_uses_its_splits(tiny_rows):
    from datasets import Dataset, DatasetDict

    data = DatasetDict({"train": Dataset.from_list(_as_dicts(tiny_rows[:-3] + tiny_rows[5:8])),
                        "validation": Dataset.from_list(_as_dicts(tiny_rows[::2])),
                        "test": Dataset.from_list(_as_dicts(tiny_rows[1::3]))})
    model = afzender.train(data, progress=False, C=4.0)
    assert model.metadata["metrics"]["test split"]["n"] == len(tiny_rows[1::3])


def test_custom_columns_and_loose_labels(tiny_rows):
    loose = {"minister-in-functie": "Functie", "partijpoliticus": "partij", "privépersoon": "privé"}
    rows = [{"bericht": t, "capaciteit": loose[l]} for t, l in tiny_rows]
    model = afzender.train(rows, text_column="bericht", label_column="capaciteit", progress=False)
    assert model.predict("Stem op onze partij en word lid") == "partijpoliticus"


def test_missing_column_lists_what_is_there(tiny_rows):
    with pytest.raises(DataError, match="missing column.*'label'.*columns present: 'tekst'"):
        afzender.train([{"tekst": t} for t, _ in tiny_rows])


def test_unknown_labels_name_rows(tiny_rows, tmp_path):
    path = tmp_path / "d.jsonl"
    rows = _as_dicts(tiny_rows)
    rows[4]["label"] = "burger"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataError, match="'burger' at line 5"):
        afzender.train(path)


def test_corrupt_jsonl_line_number(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"text": "a", "label": "partij"}\n{"text": \n')
    with pytest.raises(DataError, match="line 2: invalid JSON"):
        afzender.train(path)


def test_corrupt_csv_line_number(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('text,label\n"a",partij\n"b",prive,extra\n')
    with pytest.raises(DataError, match="line 3"):
        afzender.train(path)


def test_non_text_values_name_rows(tiny_rows):
    rows = _as_dicts(tiny_rows)
    rows[2]["text"] = None
    with pytest.raises(DataError, match="index 2"):
        afzender.train(rows)


def test_empty_texts_are_reported_not_silently_dropped(tiny_rows):
    rows = _as_dicts(tiny_rows) + [{"text": "  ", "label": "partij"}]
    with pytest.warns(DataWarning, match=r"1 empty post.*index 15"):
        model = afzender.train(rows, progress=False, C=4.0)
    training = model.metadata["training"]
    assert training["n_rows"] == 16 and training["n_used"] == 15
    assert training["excluded"] == {"empty text": 1}


def test_duplicates_and_conflicts_warn_with_rows(tiny_rows):
    rows = [{"id": i, **r} for i, r in enumerate(_as_dicts(tiny_rows))]
    rows.append({"id": 3, "text": rows[0]["text"], "label": "partijpoliticus"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        afzender.train(rows, progress=False, C=4.0)
    messages = " ".join(str(w.message) for w in caught if issubclass(w.category, DataWarning))
    assert "duplicate id" in messages and "index 3, index 15" in messages
    assert "different labels" in messages and "index 0, index 15" in messages


def test_single_class_and_too_few(tiny_rows):
    with pytest.raises(DataError, match="at least two labels"):
        afzender.train([(t, "partij") for t, _ in tiny_rows])
    with pytest.raises(DataError, match="too few examples"):
        afzender.train(tiny_rows[:3])


def test_datasetdict_passed_where_one_split_expected(tiny_rows):
    from datasets import Dataset, DatasetDict

    with pytest.raises(DataError, match="DatasetDict"):
        afzender.evaluate(None, DatasetDict({"train": Dataset.from_list(_as_dicts(tiny_rows))}))


def test_two_labels_give_a_working_model(corpus_rows):
    rows = [r for r in corpus_rows if r["split"] == "train" and r["label"] != "partijpoliticus"][:300]
    model = afzender.train([(r["text"], r["label"]) for r in rows], progress=False, C=4.0)
    texts = [r["text"] for r in rows]
    assert np.mean(np.array(model.predict(texts)) == np.array([r["label"] for r in rows])) > 0.95
    assert model.predict_proba(texts)[:, afzender.LABELS.index("partijpoliticus")].max() < 1e-6


def test_c_is_chosen_by_the_one_standard_error_rule_and_recorded(tiny_rows):
    # distinct texts, some words dropped, so that dev scores differ between values of C
    rows = [(" ".join(t.split()[i % 3:]) + f" {i}", l) for i, (t, l) in enumerate(tiny_rows * 4)]
    model = afzender.train(rows, progress=False)
    info = model.metadata["training"]
    scores = {float(c): f1 for c, f1 in info["dev_macro_f1_by_C"].items()}
    rule = info["C_selection"]
    assert rule["rule"].startswith("one standard error")
    n_dev = info["split"]["dev"]["n"]
    best = max(scores.values())
    assert rule["n_dev"] == n_dev and rule["best_dev_macro_f1"] == pytest.approx(best, abs=1e-4)
    assert rule["standard_error"] == pytest.approx(np.sqrt(best * (1 - best) / n_dev), abs=1e-4)
    assert info["C"] == rule["chosen_C"] == min(c for c, f1 in scores.items()
                                                 if f1 >= best - rule["standard_error"] - 1e-4)
    saved = json.loads(json.dumps(model.metadata))  # what the manifest stores
    assert saved["training"]["C_selection"] == rule
    assert afzender.train(rows, progress=False, C=1.0).metadata["training"]["C_selection"] == "given (--C)"


def test_one_standard_error_rule_by_hand():
    from afzender.backends.linear.fit import one_standard_error

    scores = {0.125: 0.80, 0.25: 0.84, 0.5: 0.86, 1.0: 0.87}
    chosen, rule = one_standard_error(scores, 100)
    # best 0.87 at C=1; SE = sqrt(.87 * .13 / 100) = 0.0336; 0.84 >= 0.8364 > 0.80
    assert (chosen == 0.25 and rule["best_C"] == 1.0
            and rule["standard_error"] == pytest.approx(0.0336, abs=1e-4))
    assert rule["threshold"] == pytest.approx(0.8364, abs=1e-4) and rule["chosen_C"] == 0.25


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([0.125, 0.25, 0.5, 1.0, 2.0, 4.0]), st.floats(0.0, 1.0),
                       min_size=1), st.integers(1, 2000))
def test_one_standard_error_rule_properties(scores, n_dev):
    from afzender.backends.linear.fit import one_standard_error

    chosen, rule = one_standard_error(scores, n_dev)
    best = max(scores.values())
    standard_error = np.sqrt(best * (1 - best) / n_dev)
    assert scores[chosen] >= best - standard_error
    assert all(score < best - standard_error for c, score in scores.items() if c < chosen)
    assert chosen <= rule["best_C"] and scores[rule["best_C"]] == best
