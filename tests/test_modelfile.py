import json
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pytest

import afzender
from afzender import ModelFileError
from afzender.modelfile import sha256_file

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def saved(tiny_model, tmp_path):
    return tiny_model.save(tmp_path / "model")


def test_save_load_round_trip_is_exact(tiny_model, saved):
    loaded = afzender.load(saved)
    posts = ["Stem op ons", "Het kabinet besluit", "Fijne dag", ""]
    assert np.array_equal(loaded.predict_proba(posts), tiny_model.predict_proba(posts))
    assert loaded.metadata["kind"] == "linear"
    assert loaded.metadata["labels"] == list(afzender.LABELS)
    assert (saved / "README.md").read_text().startswith("# afzender model card")


def test_manifest_records_hashes_and_provenance(saved):
    manifest = json.loads((saved / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert set(manifest["files"]) == {"weights.safetensors"}
    assert len(manifest["training"]["data_sha256"]) == 64
    assert manifest["library_version"] == afzender.__version__


def test_training_twice_gives_identical_bytes(tiny_rows, tmp_path):
    a = afzender.train(tiny_rows, seed=3, progress=False).save(tmp_path / "a")
    b = afzender.train(tiny_rows, seed=3, progress=False).save(tmp_path / "b")
    for name in ("manifest.json", "weights.safetensors", "README.md"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def _expect_error(folder, match):
    with pytest.raises(ModelFileError, match=match):
        afzender.load(folder)


def test_pickle_renamed_as_weights_is_rejected_without_unpickling(saved, tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    (saved / "weights.safetensors").write_bytes(pickle.dumps(Evil()))
    _expect_error(saved, "checksum mismatch")
    manifest = json.loads((saved / "manifest.json").read_text())
    manifest["files"]["weights.safetensors"] = sha256_file(saved / "weights.safetensors")
    (saved / "manifest.json").write_text(json.dumps(manifest))
    _expect_error(saved, "not a valid safetensors file")
    assert not marker.exists()


def test_truncated_weights(saved):
    data = (saved / "weights.safetensors").read_bytes()
    (saved / "weights.safetensors").write_bytes(data[: len(data) // 2])
    _expect_error(saved, "checksum mismatch")


def _edit_manifest(folder, edit):
    manifest = json.loads((folder / "manifest.json").read_text())
    edit(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.mark.parametrize("edit, match", [
    (lambda m: m.update(format_version=99), "format version 99"),
    (lambda m: m.update(format="other"), "not an afzender model manifest"),
    (lambda m: m.update(kind="tree"), "unknown model kind"),
    (lambda m: m.update(labels=["a", "b", "c"]), "labels"),
    (lambda m: m.update(files={"../../etc/passwd": "0" * 64}), "outside the model folder"),
    (lambda m: m.update(files={"/etc/passwd": "0" * 64}), "outside the model folder"),
    (lambda m: m.update(files={}), "lists no weight files"),
    (lambda m: m["config"].update(bits=40), "config.bits"),
    (lambda m: m["config"].update(temperature=-1), "temperature"),
])
def test_manifest_tampering(saved, edit, match):
    _edit_manifest(saved, edit)
    _expect_error(saved, match)


def test_wrong_shapes_and_dtypes(saved):
    from safetensors.numpy import save_file

    from afzender.modelfile import sha256_file

    for arrays, match in [
        ({"feature_ids": np.zeros(3, np.int64), "feature_weights": np.zeros((3, 2)),
          "bias": np.zeros(3)}, "shapes"),
        ({"feature_ids": np.zeros(3, np.int64), "feature_weights": np.zeros((3, 3), np.float32),
          "bias": np.zeros(3)}, "dtype"),
        ({"feature_ids": np.zeros(3, np.int64), "bias": np.zeros(3)}, "missing"),
    ]:
        save_file(arrays, str(saved / "weights.safetensors"))
        _edit_manifest(saved, lambda m: m["files"].update(
            {"weights.safetensors": sha256_file(saved / "weights.safetensors")}))
        _expect_error(saved, match)


def test_missing_and_broken_folders(tmp_path, saved):
    _expect_error(tmp_path / "nope", "no such model folder")
    (tmp_path / "empty").mkdir()
    _expect_error(tmp_path / "empty", "no manifest.json")
    (saved / "manifest.json").write_text("{not json")
    _expect_error(saved, "not valid JSON")


def test_no_pickle_files_in_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    files += [str(p.relative_to(ROOT)) for p in (ROOT / "models").rglob("*") if p.is_file()]
    for name in files:
        path = ROOT / name
        assert not name.endswith((".pkl", ".pickle", ".joblib", ".pt", ".bin")), name
        if path.is_file() and path.stat().st_size > 1:
            head = path.read_bytes()[:2]
            assert not (head[0] == 0x80 and head[1] in range(2, 6)), f"{name} looks like a pickle"


def test_shipped_model_loads_and_has_a_card():
    model = afzender.load()
    assert model.kind == "static"
    folder = Path(model.metadata["path"])
    card = (folder / "README.md").read_text()
    assert "real-2020-dev" in card and "corpus test split" in card
    assert "corpus test split" in model.metadata["metrics"]


def test_save_replaces_a_model_folder_and_an_empty_one(tiny_model, tmp_path):
    target = tmp_path / "m"
    tiny_model.save(target)
    first = (target / "manifest.json").read_bytes()
    tiny_model.save(target)  # an afzender model folder holding only its own files
    assert (target / "manifest.json").read_bytes() == first
    (tmp_path / "empty").mkdir()
    assert afzender.load(tiny_model.save(tmp_path / "empty")).kind == "linear"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "m"]  # no staging left


def test_save_never_deletes_user_files(tiny_model, tmp_path, monkeypatch):
    """Issue 12: save() deleted whatever folder it was given (save('.') emptied the cwd)."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.txt").write_text("years of work")
    with pytest.raises(FileExistsError, match="notes.*not an afzender model folder"):
        tiny_model.save(notes)
    model = tiny_model.save(tmp_path / "m")
    (model / "stale.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="stale.txt"):
        tiny_model.save(model)
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError, match="not a folder"):
        tiny_model.save(tmp_path / "file")
    monkeypatch.chdir(notes)
    for place in (".", "..", notes, Path.home(), "/"):
        with pytest.raises(FileExistsError, match="current directory"):
            tiny_model.save(place)
    assert (notes / "thesis.txt").read_text() == "years of work"
    assert (model / "stale.txt").read_text() == "mine" and (tmp_path / "file").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "m", "notes"]


def test_cli_train_into_current_directory_is_refused(tmp_path, monkeypatch, capsys):
    from afzender.cli import main

    data = tmp_path / "data.csv"
    data.write_text("text,label\n" + "".join(f"post {i},{'partij' if i % 2 else 'prive'}\n"
                                             for i in range(12)))
    monkeypatch.chdir(tmp_path)
    assert main(["train", "data.csv", "-o", ".", "--no-record-command"]) == 2
    assert "current directory" in capsys.readouterr().err
    assert data.is_file()


def test_saved_folder_has_ordinary_permissions(saved):
    import os

    umask = os.umask(0)
    os.umask(umask)
    assert saved.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (saved / "weights.safetensors").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.slow
def test_shipped_model_is_rebuilt_byte_for_byte_from_the_corpus(tmp_path):
    """The documented build (tools/build_model.py) trains on data/corpus.jsonl with seed 0;
    doing the same here must give the shipped weights, byte for byte."""
    shipped = afzender.load()
    rebuilt = afzender.train(ROOT / "data" / "corpus.jsonl", seed=0, progress=False).save(tmp_path / "m")
    assert shipped.metadata["training"]["data_sha256"] == \
        json.loads((rebuilt / "manifest.json").read_text())["training"]["data_sha256"]
    assert shipped.metadata["files"]["weights.safetensors"] == sha256_file(rebuilt / "weights.safetensors")
