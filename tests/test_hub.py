"""A hub name without network fails at once, with one line that says what to do."""

import subprocess
import sys
import time

import pytest

pytest.importorskip("transformers")

from afzender.backends.transformer import hub  # noqa: E402

UNREACHABLE = "http://127.0.0.1:9"   # the discard port: connection refused at once


@pytest.fixture()
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)


def test_unreachable_hub_fails_fast_naming_a_local_folder(empty_cache, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", UNREACHABLE)
    started = time.perf_counter()
    with pytest.raises(ValueError, match="cannot be reached.*--base-model my-encoder") as info:
        hub.resolve_base_model("someorg/not-here")
    assert time.perf_counter() - started < 5
    assert "\n" not in str(info.value)


def test_offline_switch_is_honoured_without_probing(empty_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "hub_reachable", lambda *a: pytest.fail("probed the network"))
    with pytest.raises(ValueError, match="HF_HUB_OFFLINE is set"):
        hub.resolve_base_model("someorg/not-here")


def test_local_folder_and_cached_name(empty_cache, monkeypatch, tmp_path):
    monkeypatch.setattr(hub, "hub_reachable", lambda *a: False)
    assert hub.resolve_base_model(str(tmp_path)) == (str(tmp_path), {})
    monkeypatch.setattr(hub, "_cached", lambda name: True)
    assert hub.resolve_base_model("org/cached") == ("org/cached", {"local_files_only": True})
    monkeypatch.setattr(hub, "hub_reachable", lambda *a: True)
    assert hub.resolve_base_model("org/online") == ("org/online", {})


def test_cli_train_with_unreachable_hub_exits_2_quickly(empty_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", UNREACHABLE)
    data = tmp_path / "d.csv"
    data.write_text("text,label\n" + "".join(f"Stem op ons {i},partij\nHet kabinet besluit {i},functie\n"
                                             f"Lekker fietsen {i},prive\n" for i in range(3)))
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "afzender.cli", "train", str(data), "-o",
                          str(tmp_path / "m"), "--kind", "transformer", "--base-model",
                          "someorg/not-here"], capture_output=True, text=True)
    assert time.perf_counter() - started < 40
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "--base-model my-encoder" in out.stderr
