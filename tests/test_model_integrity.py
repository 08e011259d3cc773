"""Issue 13, items 1-5: what is verified is what is used; no NaN verdicts; strict manifests."""

import json
import os
import threading
import time

import numpy as np
import pytest

import afzender
from afzender import Classifier, ModelFileError
from afzender.cli import main
from afzender.modelfile import sha256_file

PROBE = ["Stem op ons", "Het kabinet besluit", "Fijne dag", ""]


def _rehash(folder, name=None):
    """Update the manifest's hashes (an attacker who can write the folder can do this)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for listed in ([name] if name else list(manifest["files"])):
        manifest["files"][listed] = sha256_file(folder / listed)
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _edit(folder, edit):
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture()
def saved(tiny_model, tmp_path):
    return tiny_model.save(tmp_path / "model")


# ------------------------------------------------------------- 1. verified bytes
def test_concurrent_save_and_load_never_tears(tiny_rows, tmp_path):
    """Every load while two models are saved into one folder is A or B whole, or a
    ModelFileError: never A's weights with B's temperature, never a raw OSError."""
    a = afzender.train(tiny_rows, progress=False, C=4.0)
    b = afzender.train(tiny_rows[::-1], progress=False, C=0.5)
    b.backend.temperature = 3.0
    expected = [a.predict_proba(PROBE), b.predict_proba(PROBE)]
    target = tmp_path / "m"
    a.save(target)
    stop, outcomes, errors = threading.Event(), [], []

    def saver():
        while not stop.is_set():
            for model in (a, b):
                model.save(target)

    def loader():
        while not stop.is_set():
            try:
                proba = afzender.load(target).predict_proba(PROBE)
            except ModelFileError:
                outcomes.append("error")
                continue
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(repr(exc))
                continue
            outcomes.append("A" if np.array_equal(proba, expected[0]) else
                            "B" if np.array_equal(proba, expected[1]) else "torn")

    threads = [threading.Thread(target=saver)] + [threading.Thread(target=loader) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors, errors[:3]
    assert "torn" not in outcomes
    assert {"A", "B"} <= set(outcomes)


def test_fifo_as_weights_is_not_called_missing(saved):
    os.unlink(saved / "weights.safetensors")
    os.mkfifo(saved / "weights.safetensors")
    with pytest.raises(ModelFileError, match="not a regular file"):
        afzender.load(saved)


def test_symlinked_weights_are_refused(saved, tmp_path):
    real = tmp_path / "elsewhere.safetensors"
    (saved / "weights.safetensors").rename(real)
    (saved / "weights.safetensors").symlink_to(real)
    with pytest.raises(ModelFileError, match="symbolic link"):
        afzender.load(saved)


# -------------------------------------------------------------- 2. unlisted files
def _ensemble_folder(tiny_model, tmp_path, head_weights=None):
    from afzender.backends.ensemble.encoder import E5_DIM
    from afzender.backends.ensemble.model import EnsembleModel

    rng = np.random.default_rng(0)
    backend = EnsembleModel(tiny_model.backend,
                            rng.normal(size=(3, E5_DIM)) if head_weights is None else head_weights,
                            np.zeros(3), mix=0.5, temperature=1.0)
    return Classifier(backend).save(tmp_path / "ensemble")


def test_unlisted_ensemble_head_is_refused(tiny_model, tmp_path):
    folder = _ensemble_folder(tiny_model, tmp_path)
    assert afzender.load(folder).kind == "ensemble"
    _edit(folder, lambda m: m["files"].pop("e5_head.safetensors"))
    with pytest.raises(ModelFileError, match="not listed in the manifest.*e5_head.safetensors"):
        afzender.load(folder)
    (folder / "e5_head.safetensors").unlink()
    with pytest.raises(ModelFileError, match="e5_head.safetensors.*needed but not listed"):
        afzender.load(folder)


def test_files_not_listed_are_refused(saved):
    (saved / "encoder").mkdir()
    (saved / "encoder" / "added_tokens.json").write_text('{"x": 99999}')
    with pytest.raises(ModelFileError, match="not listed in the manifest.*added_tokens"):
        afzender.load(saved)


# ------------------------------------------------- 3. extreme numbers, NaN verdicts
def _rewrite_weights(folder, **arrays):
    from safetensors.numpy import load_file, save_file

    current = load_file(str(folder / "weights.safetensors"))
    save_file({**current, **arrays}, str(folder / "weights.safetensors"))
    _rehash(folder, "weights.safetensors")


@pytest.mark.parametrize("scale", [1e308, -1e308, 1e5])
def test_extreme_weights_are_refused(saved, scale):
    from safetensors.numpy import load_file

    values = load_file(str(saved / "weights.safetensors"))["feature_weights"]
    _rewrite_weights(saved, feature_weights=np.full_like(values, scale))
    with pytest.raises(ModelFileError, match="exceed"):
        afzender.load(saved)


def test_extreme_bias_is_refused(saved):
    _rewrite_weights(saved, bias=np.array([1e308, -1e308, 0.0]))
    with pytest.raises(ModelFileError, match="biases exceed"):
        afzender.load(saved)


@pytest.mark.parametrize("temperature", [1e-300, 1e-5, 1e6, True, "1", float("nan")])
def test_temperature_outside_the_band_is_refused(saved, temperature):
    if isinstance(temperature, float) and temperature != temperature:
        text = (saved / "manifest.json").read_text()
        text = text.replace('"temperature": ', '"temperature": NaN, "x": ', 1)
        (saved / "manifest.json").write_text(text)
    else:
        _edit(saved, lambda m: m["config"].update(temperature=temperature))
    with pytest.raises(ModelFileError, match="temperature|NaN"):
        afzender.load(saved)


def test_extreme_ensemble_head_is_refused(tiny_model, tmp_path):
    from afzender.backends.ensemble.encoder import E5_DIM

    folder = _ensemble_folder(tiny_model, tmp_path, head_weights=np.full((3, E5_DIM), 1e308))
    with pytest.raises(ModelFileError, match="e5_head.safetensors: weights exceed"):
        afzender.load(folder)


@pytest.fixture()
def nan_model(monkeypatch):
    """The shipped model with a backend that gives NaN (as a model with 1e308 weights did)."""
    from afzender.backends.ensemble.model import EnsembleModel
    from afzender.backends.linear.model import LinearModel

    for backend in (LinearModel, EnsembleModel):   # the static model is an EnsembleModel
        monkeypatch.setattr(backend, "predict_proba",
                            lambda self, texts, threads=None: np.full((len(texts), 3), np.nan))


def test_nan_probability_is_an_error_never_a_label(nan_model, default_model):
    with pytest.raises(ModelFileError, match="non-finite probability.*index 0, 1"):
        default_model.predict(["a", "b"])
    with pytest.raises(ModelFileError):
        afzender.check("Stem op onze partij!", account_type="corporate", model=default_model)


def test_check_and_audit_fail_closed_on_nan(nan_model, tmp_path, capsys):
    from pathlib import Path

    assert main(["check", "Zaterdag ons partijcongres: kom allemaal!", "--json"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "non-finite" in out.err
    fixtures = Path(__file__).parent / "fixtures"
    assert main(["audit", str(fixtures / "accounts.jsonl"), "--account-type",
                 str(fixtures / "account_types.csv"), "-o", str(tmp_path / "audit")]) == 2
    assert not (tmp_path / "audit" / "audit.json").exists()


# ---------------------------------------------------------------- 4. the manifest
def test_duplicate_keys_are_refused(saved):
    text = (saved / "manifest.json").read_text()
    (saved / "manifest.json").write_text(text.replace('"kind": "linear"',
                                                      '"kind": "tree", "kind": "linear"'))
    with pytest.raises(ModelFileError, match="duplicate key 'kind'"):
        afzender.load(saved)


@pytest.mark.parametrize("depth", [17, 100_000])
def test_deep_nesting_is_a_model_file_error(saved, depth):
    text = (saved / "manifest.json").read_text()
    (saved / "manifest.json").write_text(text.replace('"kind"', '"deep": ' + "[" * depth + "]" * depth
                                                      + ', "kind"', 1))
    with pytest.raises(ModelFileError, match="nested more than"):
        afzender.load(saved)


@pytest.mark.parametrize("alias", ["./weights.safetensors", "././weights.safetensors",
                                   "sub//w", "sub/./w", "a\\b"])
def test_file_name_aliases_are_refused(saved, alias):
    _edit(saved, lambda m: m["files"].update({alias: m["files"]["weights.safetensors"]}))
    with pytest.raises(ModelFileError, match="not canonical|outside"):
        afzender.load(saved)


def test_oversized_manifest_is_refused(saved):
    _edit(saved, lambda m: m.update(padding="x" * (1 << 20)))
    with pytest.raises(ModelFileError, match="larger than"):
        afzender.load(saved)


def test_char_ngrams_and_bits_are_range_checked(saved):
    for edit, match in [(lambda m: m["config"].update(bits=26), "bits"),
                        (lambda m: m["config"].update(bits=True), "bits"),
                        (lambda m: m["config"].update(char_ngrams=[True]), "char_ngrams")]:
        _edit(saved, edit)
        with pytest.raises(ModelFileError, match=match):
            afzender.load(saved)


# ------------------------------------------------ transformer folders (items 2-5)
@pytest.fixture()
def encoder_folder(tmp_path):
    pytest.importorskip("transformers")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from afzender.backends.transformer.model import TransformerModel
    from afzender.backends.transformer.tiny import make_encoder

    base = make_encoder(["het kabinet besluit", "stem op ons", "fijne dag"] * 10,
                        tmp_path / "base", vocab_size=120)
    backend = TransformerModel(AutoModelForSequenceClassification.from_pretrained(base),
                               AutoTokenizer.from_pretrained(base), config={"max_length": 32})
    return Classifier(backend).save(tmp_path / "bert")


def test_transformer_reads_only_listed_files(encoder_folder):
    assert afzender.load(encoder_folder).predict("het kabinet") in afzender.LABELS
    (encoder_folder / "encoder" / "added_tokens.json").write_text('{"kabinet": 100000}')
    with pytest.raises(ModelFileError, match="not listed.*added_tokens.json"):
        afzender.load(encoder_folder)


@pytest.mark.parametrize("value", [10**6, 0, -5, "64", True, 600])
def test_transformer_max_length_is_range_checked(encoder_folder, value):
    _edit(encoder_folder, lambda m: m["config"].update(max_length=value))
    with pytest.raises(ModelFileError, match="max_length"):
        afzender.load(encoder_folder)


def test_transformer_nan_weights_are_refused(encoder_folder):
    from safetensors.numpy import load_file, save_file

    path = encoder_folder / "encoder" / "model.safetensors"
    arrays = load_file(str(path))
    name = next(k for k in arrays if k.endswith("classifier.weight"))
    arrays[name] = np.full_like(arrays[name], np.nan)
    save_file(arrays, str(path), metadata={"format": "pt"})
    _rehash(encoder_folder, "encoder/model.safetensors")
    with pytest.raises(ModelFileError, match="NaN or infinity"):
        afzender.load(encoder_folder)


@pytest.mark.parametrize("component", [
    {"type": "Split", "pattern": {"Regex": "(a|a)+$"}, "behavior": "Isolated", "invert": False},
    {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(x+x+)+y"},
                                            "behavior": "Removed", "invert": False}]},
    {"type": "Invented"},
])
def test_tokenizer_with_user_regex_or_unknown_parts_is_refused(encoder_folder, component):
    path = encoder_folder / "encoder" / "tokenizer.json"
    spec = json.loads(path.read_text())
    spec["pre_tokenizer"] = component
    path.write_text(json.dumps(spec))
    _rehash(encoder_folder, "encoder/tokenizer.json")
    with pytest.raises(ModelFileError, match="regular expression|not accepted"):
        afzender.load(encoder_folder)


def test_tokenizer_panic_is_a_one_line_error(encoder_folder, monkeypatch, capsys):
    model = afzender.load(encoder_folder)

    class PanicException(BaseException):  # what pyo3 raises on a Rust panic
        pass

    def panic(*args, **kwargs):
        raise PanicException("regex engine panicked\nstack backtrace: ...")

    monkeypatch.setattr(model.backend.engine, "tokenizer", panic)
    with pytest.raises(ModelFileError, match="tokenizer failed .PanicException: regex engine panicked.$"):
        model.predict(["a" * 34])
