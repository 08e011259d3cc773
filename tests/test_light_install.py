"""A plain ``pip install .`` predicts, and brings neither scikit-learn nor scipy."""

import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

PROBE = """
import importlib.util, sys
import afzender
print(afzender.predict("Op 29 oktober: stem op onze lijsttrekker en word lid!"))
print(importlib.util.find_spec("sklearn") is None, importlib.util.find_spec("scipy") is None)
print(sorted(m for m in ("sklearn", "scipy", "torch", "transformers") if m in sys.modules))
import pathlib
print((pathlib.Path(afzender.__file__).parent / "py.typed").is_file())
try:
    afzender.train([("Stem op ons", "partij")] * 9)
except ImportError as error:
    print(type(error).__name__, error)
"""


def test_plain_install_predicts_without_training_extras(tmp_path):
    env = tmp_path / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)], check=True, timeout=900)
    out = subprocess.run([str(python), "-c", PROBE], check=True, capture_output=True, text=True,
                         cwd=tmp_path, timeout=120).stdout.splitlines()
    assert out[0] == "partijpoliticus"
    assert out[1] == "True True"                       # neither installed
    assert out[2] == "[]"                              # nor imported
    assert out[3] == "True"                            # py.typed ships (PEP 561)
    assert out[4].startswith("MissingExtraError") and "pip install 'afzender[train]'" in out[4]
    cli = subprocess.run([str(env / "bin" / "afzender"), "train",
                          str(ROOT / "tests" / "fixtures" / "accounts.jsonl"), "-o", str(tmp_path / "m")],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 2
    assert cli.stderr.strip().count("\n") == 0 and "afzender[train]" in cli.stderr
