"""The old import paths work for one release, each with a DeprecationWarning that names
the new home, and give the very same objects."""

from __future__ import annotations

import importlib

import pytest

OLD_NAMES = [
    ("afzender.training", "LabelledData", "afzender.inputs.labelled"),
    ("afzender.training", "read_labelled", "afzender.inputs.labelled"),
    ("afzender.training", "DataWarning", "afzender.errors"),
    ("afzender.training", "fit_temperature", "afzender.calibration"),
    ("afzender.training", "one_standard_error", "afzender.backends.linear.fit"),
    ("afzender.linear", "LinearModel", "afzender.backends.linear.model"),
    ("afzender.linear", "softmax", "afzender.calibration"),
    ("afzender.io", "read_table", "afzender.inputs.tables"),
    ("afzender.io", "as_text_list", "afzender.inputs.posts"),
    ("afzender.data", "load_corpus", "afzender.inputs.corpus"),
    ("afzender.splits", "plan_split", "afzender.inputs.splits"),
    ("afzender.explain", "occlusion", "afzender.backends.explain"),
    ("afzender.plots", "plot_reliability", "afzender.evaluation.plots"),
    ("afzender.auditing", "audit_accounts", "afzender.audit.accounts"),
    ("afzender.auditing", "AuditResult", "afzender.audit.results"),
    ("afzender.reports", "audit_html", "afzender.audit.render"),
    ("afzender.evaluation", "evaluate_model", "afzender.evaluation.report"),
    ("afzender.evaluation", "compute_metrics", "afzender.evaluation.metrics"),
    ("afzender.ensemble", "EnsembleModel", "afzender.backends.ensemble.model"),
    ("afzender.ensemble", "HEAD", "afzender.backends.ensemble.model"),
    ("afzender.ensemble", "embed", "afzender.backends.ensemble.encoder"),
    ("afzender.ensemble", "E5_DIM", "afzender.backends.ensemble.encoder"),
    ("afzender.ensemble", "MIX_GRID", "afzender.backends.ensemble.fit"),
    ("afzender.ensemble", "fit_head", "afzender.backends.ensemble.fit"),
    ("afzender.ensemble", "train_ensemble", "afzender._legacy"),
]
#: The transformer's old modules (need the ``transformer`` extra).
TRANSFORMER_NAMES = [
    ("afzender.transformer.model", "TransformerModel", "afzender.backends.transformer.model"),
    ("afzender.transformer.engine", "InferenceEngine", "afzender.backends.transformer.engine"),
    ("afzender.transformer.engine", "EngineConfig", "afzender.backends.transformer.engine"),
    ("afzender.transformer.e5convert", "base_model_path", "afzender.backends.transformer.e5convert"),
    ("afzender.transformer.e5embed", "MeanPooled", "afzender.backends.transformer.e5embed"),
    ("afzender.transformer.hub", "resolve_base_model", "afzender.backends.transformer.hub"),
    ("afzender.transformer.tiny", "make_encoder", "afzender.backends.transformer.tiny"),
    ("afzender.transformer.tokenizer_check", "check_tokenizer",
     "afzender.backends.transformer.tokenizer_check"),
    ("afzender.transformer.train", "_length_grouped", "afzender.backends.transformer.fit"),
]


@pytest.mark.parametrize("old, name, new", OLD_NAMES)
def test_old_path_warns_and_forwards(old, name, new):
    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=f"{old}.{name} is deprecated.*{new}"):
        value = getattr(module, name)
    assert value is getattr(importlib.import_module(new), name)


@pytest.mark.parametrize("old, name, new", TRANSFORMER_NAMES)
def test_old_transformer_path_warns_and_forwards(old, name, new):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    test_old_path_warns_and_forwards(old, name, new)


def test_renamed_train_transformer_forwards_to_fit():
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from afzender.backends.transformer.fit import fit

    with pytest.warns(DeprecationWarning, match=r"train_transformer is deprecated.*"
                                                r"afzender\.backends\.transformer\.fit \(as fit\)"):
        from afzender.transformer.train import train_transformer
    assert train_transformer is fit
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        importlib.import_module("afzender.transformer.model").nothing  # noqa: B018


def test_from_import_of_an_old_path_works():
    with pytest.warns(DeprecationWarning):
        from afzender.training import LabelledData  # noqa: F401


def test_unknown_names_are_attribute_errors():
    import afzender.io

    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        afzender.io.nothing  # noqa: B018


def test_old_select_and_train_linear_signatures(tiny_rows):
    from afzender.inputs.labelled import read_labelled

    training = importlib.import_module("afzender.training")
    data = read_labelled(tiny_rows)
    with pytest.warns(DeprecationWarning):
        model, info = training.train_linear(data, C=4.0, progress=False)
    assert model.kind == "linear" and info["C"] == 4.0
