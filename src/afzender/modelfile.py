"""The model folder format: ``manifest.json`` + weight files, never pickle.

A model folder holds::

    manifest.json          format, version, kind, labels, hashes of every weight file,
                           training data hash, metrics, the command that made it
    weights.safetensors    arrays (linear model), or the transformer's own files
    README.md              the model card (human text, not hashed)

:func:`read_manifest` checks the manifest and the SHA-256 of every file it lists
before anything is parsed, so a tampered or truncated file is rejected up front.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelFileError
from .labels import LABELS

FORMAT = "afzender-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KINDS = ("linear", "transformer", "ensemble")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: dict[str, Any], files: list[str]) -> dict[str, Any]:
    """Record the hash of each of ``files`` (relative to ``folder``) and write the manifest."""
    manifest = {**manifest, "format": FORMAT, "format_version": FORMAT_VERSION,
                "files": {name: sha256_file(folder / name) for name in sorted(files)}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False,
                                              sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def _safe_member(folder: Path, name: object) -> Path:
    if not isinstance(name, str) or not name or name.startswith(("/", "\\")) or ".." in Path(name).parts:
        raise ModelFileError(f"{folder}: manifest names a file outside the model folder: {name!r}")
    path = folder / name
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        raise ModelFileError(f"{folder}: {name!r} points outside the model folder") from None
    return path


def read_manifest(folder: str | Path) -> tuple[Path, dict[str, Any]]:
    """Read and verify a model folder's manifest and file hashes.

    Raises
    ------
    ModelFileError
        Missing folder or manifest, invalid JSON, unknown format or version, unknown
        labels, a listed file that is missing, outside the folder, or whose SHA-256
        differs from the manifest.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFileError(f"{folder}: no such model folder")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise ModelFileError(f"{folder}: not an afzender model (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{manifest_path}: not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{manifest_path}: not an afzender model manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"{manifest_path}: format version {version!r} is not supported "
                             f"(this afzender reads version {FORMAT_VERSION}); upgrade afzender "
                             "or retrain the model")
    if manifest.get("kind") not in KINDS:
        raise ModelFileError(f"{manifest_path}: unknown model kind {manifest.get('kind')!r}")
    if list(manifest.get("labels", [])) != list(LABELS):
        raise ModelFileError(f"{manifest_path}: labels {manifest.get('labels')!r} differ from "
                             f"{list(LABELS)}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ModelFileError(f"{manifest_path}: lists no weight files")
    for name, expected in files.items():
        path = _safe_member(folder, name)
        if not path.is_file():
            raise ModelFileError(f"{folder}: weight file {name!r} is missing")
        if sha256_file(path) != expected:
            raise ModelFileError(f"{path}: checksum mismatch (file changed or truncated since "
                                 "the model was saved); refusing to load it")
    return folder, manifest


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    save_file({name: np.ascontiguousarray(value) for name, value in arrays.items()}, str(path))


def load_arrays(path: Path, spec: dict[str, tuple[str, int]]) -> dict[str, np.ndarray]:
    """Load safetensors arrays and check them against ``spec`` (name -> (dtype, ndim)).

    Raises
    ------
    ModelFileError
        Not a safetensors file (a pickle, say), or arrays missing or of the wrong dtype
        or rank.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        arrays = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{path}: not a valid safetensors file ({exc})") from None
    for name, (dtype, ndim) in spec.items():
        value = arrays.get(name)
        if value is None:
            raise ModelFileError(f"{path}: array {name!r} is missing")
        if value.dtype != np.dtype(dtype) or value.ndim != ndim:
            raise ModelFileError(f"{path}: array {name!r} has dtype {value.dtype} and rank "
                                 f"{value.ndim}, expected {dtype} and rank {ndim}")
    return arrays
