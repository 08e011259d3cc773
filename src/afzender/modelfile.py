"""The model folder format: ``manifest.json`` + weight files, never pickle.

A model folder holds::

    manifest.json          format, version, kind, labels, hashes of every weight file,
                           training data hash, metrics, the command that made it
    weights.safetensors    arrays (linear model), or the transformer's own files
    README.md              the model card (human text, not hashed, never parsed)

and nothing else. :func:`read_model_folder` reads the manifest and every file it lists
exactly once, through one handle on the folder, and checks each file's SHA-256 against
the bytes it read; the backends parse those same bytes (never the path again), so what is
verified is what is used. A file in the folder that the manifest does not list is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import numpy as np

from ._version import __version__
from .calibration import TEMPERATURE_RANGE
from .errors import ModelFileError
from .labels import LABELS

FORMAT = "afzender-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CARD = "README.md"
FORBIDDEN = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".py", ".joblib")
MAX_MANIFEST_BYTES = 1 << 20   # 1 MiB of JSON
MAX_DEPTH = 16                 # nesting of JSON objects and arrays in the manifest
MAX_FILES = 64                 # files listed in a manifest
MAX_NAME = 200                 # characters of a listed file name


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Manifest(TypedDict, total=False):
    """``manifest.json``: what :func:`write_manifest` writes and :func:`read_model_folder`
    returns (after checking the header: format, version, labels, files)."""

    format: str                    # always FORMAT
    format_version: int            # FORMAT_VERSION
    kind: str                      # a kind of afzender.backends.registry
    labels: list[str]              # afzender.LABELS
    library_version: str           # the afzender that wrote it
    files: dict[str, str]          # file name (relative, '/') -> SHA-256
    config: dict[str, Any]         # the backend's own (Backend.manifest_config)
    command: str                   # the command that made it
    seed: int
    training: dict[str, Any]       # data, split, selection, calibration
    metrics: dict[str, Any]        # {data set: metrics} on held-out data


#: Keys that belong to a written folder, not to a model in memory.
FOLDER_KEYS = ("path", "files", "format", "format_version")


def manifest_for(metadata: dict[str, Any], *, kind: str, config: dict[str, Any]) -> Manifest:
    """The manifest of a model with ``metadata`` (a Classifier's) and a backend ``config``,
    before its files are hashed by :func:`write_manifest`."""
    manifest: dict[str, Any] = {key: value for key, value in metadata.items()
                                if key not in FOLDER_KEYS}
    manifest.update(kind=kind, labels=list(LABELS), library_version=__version__, config=config)
    return manifest  # type: ignore[return-value]


def write_manifest(folder: Path, manifest: Manifest | dict[str, Any], files: list[str]) -> Manifest:
    """Record the hash of each of ``files`` (relative to ``folder``) and write the manifest."""
    manifest = {**manifest, "format": FORMAT, "format_version": FORMAT_VERSION,
                "files": {name: sha256_file(folder / name) for name in sorted(files)}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False,
                                              sort_keys=True) + "\n", encoding="utf-8")
    return manifest  # type: ignore[return-value]


@dataclass
class ModelFolder:
    """A verified model folder: its manifest and the bytes of every file it lists.

    Backends read their files from :meth:`read` (or :meth:`arrays`), which hands out the
    very bytes whose hash was checked; they never reopen a path.
    """

    path: Path
    manifest: Manifest
    blobs: dict[str, bytes] = field(repr=False)

    def read(self, name: str) -> bytes:
        """The verified bytes of ``name``, a file the manifest lists."""
        try:
            return self.blobs[name]
        except KeyError:
            raise ModelFileError(f"{self.path}: {name!r} is needed but not listed (and hashed) "
                                 "in the manifest; refusing to load it") from None

    def arrays(self, name: str, spec: dict[str, tuple[str, int]]) -> dict[str, np.ndarray]:
        """Parse the verified safetensors file ``name`` and check it against ``spec``."""
        return parse_arrays(self.read(name), self.path / name, spec)


def shipped_folder(name: str) -> Path:
    """A folder under the project's ``models/`` (``default``, ``static-vectors``): inside
    the installed package (``setup.py`` copies it there), else the source checkout's."""
    packaged = Path(__file__).parent / "models" / name
    if (packaged / MANIFEST).is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "models" / name


# ------------------------------------------------------------------- manifest JSON
def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend((child, depth + 1) for child in
                             (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_manifest(data: bytes, where: Path) -> dict[str, Any]:
    """Strict JSON: UTF-8, at most :data:`MAX_MANIFEST_BYTES`, no duplicate keys, no
    ``NaN``/``Infinity``, nested at most :data:`MAX_DEPTH` deep."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ModelFileError(f"{where}: manifest is larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        manifest = json.loads(data.decode("utf-8"), object_pairs_hook=_no_duplicates,
                              parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{where}: not valid JSON ({exc})") from None
    except RecursionError:  # the parser recurses once per level
        raise ModelFileError(f"{where}: manifest is nested more than {MAX_DEPTH} levels deep") from None
    if _depth(manifest) > MAX_DEPTH:
        raise ModelFileError(f"{where}: manifest is nested more than {MAX_DEPTH} levels deep")
    return manifest


# ---------------------------------------------------------------- reading files
def _member_name(folder: Path, name: object) -> str:
    """A listed file name must be one canonical relative path: no ``.``, ``..``, empty
    parts, backslashes or absolute paths, so no two names can alias one file."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME:
        raise ModelFileError(f"{folder}: manifest lists an invalid file name {name!r:.80}")
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or "\x00" in name or ".." in parts:
        raise ModelFileError(f"{folder}: manifest names a file outside the model folder: {name!r}")
    if any(part in ("", ".") for part in parts):
        raise ModelFileError(f"{folder}: manifest file name {name!r} is not canonical "
                             "(write it without './' or '//'); aliases are refused")
    return name


def _read_member(folder: Path, dir_fd: int, name: str) -> bytes:
    """Read ``name`` relative to the open folder, following no symbolic link."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    parts = name.split("/")
    fds = [dir_fd]
    try:
        for part in parts[:-1]:
            fds.append(os.open(part, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | nofollow,
                               dir_fd=fds[-1]))
        fd = os.open(parts[-1], os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | nofollow,
                     dir_fd=fds[-1])
    except FileNotFoundError:
        raise ModelFileError(f"{folder}: weight file {name!r} is missing") from None
    except OSError as exc:
        raise ModelFileError(f"{folder}: cannot open {name!r} (a symbolic link or not a file: "
                             f"{exc.strerror})") from None
    finally:
        for opened in fds[1:]:
            os.close(opened)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ModelFileError(f"{folder}: {name!r} is not a regular file")
        return handle.read()


def folder_entries(folder: Path) -> list[str]:
    """Every non-directory entry under ``folder``, relative, with '/' separators."""
    found = []
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder)
        entries = files + [d for d in dirs if os.path.islink(os.path.join(root, d))]
        found += [(base / entry).as_posix() for entry in entries]
    return found


def _check_contents(folder: Path, listed: set[str]) -> None:
    entries = folder_entries(folder)
    risky = sorted(e for e in entries if os.path.splitext(e)[1].lower() in FORBIDDEN)
    if risky:
        raise ModelFileError(f"{folder}: refusing files that may hold code or pickles: {risky}")
    unlisted = sorted(set(entries) - listed - {MANIFEST, CARD})
    if unlisted:
        raise ModelFileError(f"{folder}: files not listed in the manifest: {unlisted[:5]}; a "
                             f"model folder holds only {MANIFEST}, {CARD} and the files the "
                             "manifest lists with their hashes")


def _check_header(manifest: Any, where: Path) -> Manifest:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{where}: not an afzender model manifest")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(f"{where}: format version {version!r} is not supported "
                             f"(this afzender reads version {FORMAT_VERSION}); upgrade afzender "
                             "or retrain the model")
    if not isinstance(manifest.get("kind"), str):
        raise ModelFileError(f"{where}: unknown model kind {manifest.get('kind')!r}")
    if list(manifest.get("labels", [])) != list(LABELS):
        raise ModelFileError(f"{where}: labels {manifest.get('labels')!r} differ from "
                             f"{list(LABELS)}")
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        raise ModelFileError(f"{where}: lists no weight files")
    if len(files) > MAX_FILES:
        raise ModelFileError(f"{where}: lists {len(files)} files, more than {MAX_FILES}")
    return manifest  # type: ignore[return-value]


def read_model_folder(folder: str | Path) -> ModelFolder:
    """Read and verify a model folder: the manifest and every file it lists, each once.

    Raises
    ------
    ModelFileError
        Missing folder or manifest, invalid or duplicate-keyed or too deep JSON, unknown
        format, version or labels, a listed file that is missing, not a regular file,
        outside the folder, an alias of another, or whose SHA-256 differs; a file in the
        folder that the manifest does not list.
    """
    folder = Path(folder)
    try:
        dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        raise ModelFileError(f"{folder}: no such model folder") from None
    try:
        if not os.path.lexists(folder / MANIFEST):
            raise ModelFileError(f"{folder}: not an afzender model (no {MANIFEST})")
        raw = _read_member(folder, dir_fd, MANIFEST)
        manifest = _check_header(parse_manifest(raw, folder / MANIFEST), folder / MANIFEST)
        blobs = {}
        for name, expected in manifest["files"].items():
            blob = _read_member(folder, dir_fd, _member_name(folder, name))
            if hashlib.sha256(blob).hexdigest() != expected:
                raise ModelFileError(f"{folder / name}: checksum mismatch (file changed or "
                                     "truncated since the model was saved); refusing to load it")
            blobs[name] = blob
    finally:
        os.close(dir_fd)
    _check_contents(folder, set(blobs))
    return ModelFolder(folder, manifest, blobs)


def read_listed_names(folder: Path) -> set[str] | None:
    """The files an afzender manifest in ``folder`` lists, or None when there is no valid
    afzender manifest (its header is checked, not the hashes)."""
    try:
        raw = (folder / MANIFEST).read_bytes()
        manifest = _check_header(parse_manifest(raw, folder / MANIFEST), folder / MANIFEST)
    except (OSError, ModelFileError):
        return None
    return {str(name) for name in manifest["files"]}


# ---------------------------------------------------------------------- arrays
def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    from safetensors.numpy import save_file

    save_file({name: np.ascontiguousarray(value) for name, value in arrays.items()}, str(path))


def parse_arrays(data: bytes, where: Path, spec: dict[str, tuple[str, int]]) -> dict[str, np.ndarray]:
    """Parse safetensors ``data`` and check it against ``spec`` (name -> (dtype, ndim)).

    Raises
    ------
    ModelFileError
        Not a safetensors file (a pickle, say), or arrays missing or of the wrong dtype
        or rank.
    """
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        arrays = load(data)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{where}: not a valid safetensors file ({exc})") from None
    for name, (dtype, ndim) in spec.items():
        value = arrays.get(name)
        if value is None:
            raise ModelFileError(f"{where}: array {name!r} is missing")
        if value.dtype != np.dtype(dtype) or value.ndim != ndim:
            raise ModelFileError(f"{where}: array {name!r} has dtype {value.dtype} and rank "
                                 f"{value.ndim}, expected {dtype} and rank {ndim}")
    return arrays


def check_number(value: Any, where: str, low: float, high: float, *, integer: bool = False) -> Any:
    """``value`` if it is a (non-bool) number in ``low..high`` (an int when ``integer``),
    else a :class:`ModelFileError` naming ``where``."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise ModelFileError(f"{where} must be {kind} in {low:g}..{high:g}, got {value!r:.40}")
    return value


def check_temperature(value: Any, where: str) -> float:
    """A calibration temperature from a model file, in :data:`TEMPERATURE_RANGE`."""
    return float(check_number(value, where, *TEMPERATURE_RANGE))


def check_finite(where: Path, limit: float, **arrays: np.ndarray) -> None:
    """Every value finite and at most ``limit`` in magnitude."""
    for name, value in arrays.items():
        if not np.isfinite(value).all():
            raise ModelFileError(f"{where}: {name} contain NaN or infinity")
        if value.size and np.abs(value).max() > limit:
            raise ModelFileError(f"{where}: {name} exceed {limit:g} in magnitude "
                                 "(not a plausible trained model)")
