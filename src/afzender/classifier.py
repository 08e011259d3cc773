"""The :class:`Classifier`: one protocol over every backend, and :func:`load` through the
backend registry."""

from __future__ import annotations

import copy
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

import numpy as np

from ._once import Once
from .backends import Backend
from .backends.registry import model_class
from .errors import ModelFileError
from .inputs.posts import as_text_list, check_controls, iter_batches
from .label_mix import as_mapping, check_mix, estimate_mix, shift_probabilities
from .labels import LABELS
from .modelfile import (
    CARD,
    MANIFEST,
    folder_entries,
    manifest_for,
    read_listed_names,
    read_model_folder,
    shipped_folder,
    write_manifest,
)

logger = logging.getLogger("afzender")
DEFAULT_BATCH = 4096
EXPLAIN_CHUNK = 128  # posts explained per call (bounded memory)


@dataclass(frozen=True)
class Result:
    """The capacity of one post.

    Attributes
    ----------
    label:
        The most probable of :data:`afzender.LABELS`.
    probabilities:
        Probability of each label.
    explanation:
        With ``explain=True``: the words that drove the decision, as
        ``(word, contribution)`` pairs, strongest first; else ``None``.
    """

    label: str
    probabilities: dict[str, float]
    explanation: list[tuple[str, float]] | None = field(default=None)

    @property
    def confidence(self) -> float:
        return self.probabilities[self.label]


class Classifier:
    """A fitted model: ``predict``, ``predict_proba``, ``classify``, ``save``.

    Get one from :func:`afzender.load` or :func:`afzender.train`. Safe to share between
    threads: prediction does not mutate the model.
    """

    def __init__(self, backend: Backend, metadata: dict[str, Any] | None = None) -> None:
        self.backend = backend
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.metadata.setdefault("kind", backend.kind)
        self.metadata["labels"] = list(LABELS)
        self._mix: np.ndarray | None = None   # see with_mix

    @property
    def kind(self) -> str:
        return self.backend.kind

    def __repr__(self) -> str:
        source = self.metadata.get("path", "in memory")
        mix = "" if self._mix is None else f", mix={tuple(round(float(v), 3) for v in self._mix)}"
        return f"Classifier(kind={self.kind!r}, source={source!r}{mix})"

    # --------------------------------------------------------------- predicting
    def predict_proba(self, texts: str | Iterable[str], *, column: str | None = None,
                      batch_size: int | None = None, threads: int | None = None) -> np.ndarray:
        """Probabilities, shape ``(n, 3)`` in :data:`LABELS` order (``(3,)`` for one str).

        ``texts`` is a str, an iterable of str, or a pandas DataFrame or
        ``datasets.Dataset`` with ``column`` naming its text column. ``batch_size`` posts
        are scored at a time (default :data:`DEFAULT_BATCH`; memory grows with it), each
        batch by ``threads`` threads (default: the backend's choice; the linear C core uses
        two for large batches). Neither changes the results.

        Raises
        ------
        TypeError
            ``texts`` is not a str or iterable of str (the message names the bad index),
            or a DataFrame/Dataset without ``column``.
        ValueError
            ``batch_size`` or ``threads`` is not a positive integer.
        """
        posts, single = as_text_list(texts, column)
        proba = self._proba(posts, batch_size, threads)
        return proba[0] if single else proba

    @overload
    def predict(self, texts: str, *, column: str | None = None,  # type: ignore[overload-overlap]
                batch_size: int | None = None, threads: int | None = None) -> str: ...
    @overload
    def predict(self, texts: Iterable[str], *, column: str | None = None,
                batch_size: int | None = None, threads: int | None = None) -> list[str]: ...

    def predict(self, texts: str | Iterable[str], *, column: str | None = None,
                batch_size: int | None = None, threads: int | None = None) -> str | list[str]:
        """The label of each post (a single label for a single str); the arguments as for
        :meth:`predict_proba`."""
        posts, single = as_text_list(texts, column)
        labels = [LABELS[i] for i in self._proba(posts, batch_size, threads).argmax(axis=1)]
        return labels[0] if single else labels

    @overload
    def classify(self, texts: str, *, explain: bool = False, top: int = 8,  # type: ignore[overload-overlap]
                 column: str | None = None, batch_size: int | None = None,
                 threads: int | None = None) -> Result: ...
    @overload
    def classify(self, texts: Iterable[str], *, explain: bool = False, top: int = 8,
                 column: str | None = None, batch_size: int | None = None,
                 threads: int | None = None) -> list[Result]: ...

    def classify(self, texts: str | Iterable[str], *, explain: bool = False, top: int = 8,
                 column: str | None = None, batch_size: int | None = None,
                 threads: int | None = None) -> Result | list[Result]:
        """:class:`Result` objects (label, probabilities, optional explanation); the other
        arguments as for :meth:`predict_proba`."""
        posts, single = as_text_list(texts, column)
        results = self._results(posts, explain=explain, top=top, batch_size=batch_size,
                                threads=threads)
        return results[0] if single else results

    def predict_iter(self, texts: Iterable[str], *, batch_size: int = DEFAULT_BATCH,
                     explain: bool = False, threads: int | None = None,
                     progress: bool = False) -> Iterator[Result]:
        """Classify any iterable lazily, in order, holding one batch in memory at a time;
        ``progress=True`` shows a bar with the rate (posts/s) on stderr."""
        from tqdm.auto import tqdm

        size, threads = check_controls(batch_size, threads)
        with tqdm(desc="classifying", unit=" posts", disable=not progress, unit_scale=True) as bar:
            for batch in iter_batches(texts, size or DEFAULT_BATCH):
                yield from self._results(batch, explain=explain, threads=threads)
                bar.update(len(batch))

    def _proba(self, posts: list[str], batch_size: int | None = None,
               threads: int | None = None) -> np.ndarray:
        proba = self._trained_proba(posts, batch_size, threads)
        if self._mix is None or not len(proba):
            return proba
        return shift_probabilities(proba, self._trained_mix(), self._mix)

    def _trained_proba(self, posts: list[str], batch_size: int | None = None,
                       threads: int | None = None) -> np.ndarray:
        batch_size, threads = check_controls(batch_size, threads)
        size = batch_size or DEFAULT_BATCH
        if not posts:
            return np.zeros((0, len(LABELS)))
        options = {} if threads is None else {"threads": threads}
        if len(posts) <= size:
            proba = self.backend.predict_proba(posts, **options)
        else:
            proba = np.concatenate([self.backend.predict_proba(posts[i:i + size], **options)
                                    for i in range(0, len(posts), size)])
        bad = np.flatnonzero(~np.isfinite(proba).all(axis=1))
        if len(bad):  # never a label from NaN: argmax would pick the first class
            raise ModelFileError(f"{self.metadata.get('path', 'model')}: the model gives a "
                                 f"non-finite probability for post(s) at index "
                                 f"{', '.join(map(str, bad[:5]))}; it is damaged, so no label "
                                 "is given")
        return proba

    def explain(self, posts: list[str], top: int = 8) -> list[list[tuple[str, float]]]:
        """The words that drove each post's label, computed :data:`EXPLAIN_CHUNK` posts at a
        time so that memory stays bounded whatever the number of posts."""
        reasons: list[list[tuple[str, float]]] = []
        for start in range(0, len(posts), EXPLAIN_CHUNK):
            reasons += self.backend.explain(posts[start:start + EXPLAIN_CHUNK], top)
        return reasons

    def _results(self, posts: list[str], *, explain: bool, top: int = 8,
                 batch_size: int | None = None, threads: int | None = None) -> list[Result]:
        proba = self._proba(posts, batch_size, threads)
        reasons = self.explain(posts, top) if explain and posts else [None] * len(posts)
        return [Result(LABELS[int(row.argmax())],
                       {label: float(p) for label, p in zip(LABELS, row)}, reason)
                for row, reason in zip(proba, reasons)]

    # --------------------------------------------------------------- label mix
    @property
    def trained_mix(self) -> dict[str, float]:
        """The label mix of the posts the model was fitted on; its probabilities carry it."""
        return as_mapping(self._trained_mix())

    @property
    def mix(self) -> dict[str, float] | None:
        """The label mix :meth:`with_mix` moved the probabilities to, else ``None``."""
        return None if self._mix is None else as_mapping(self._mix)

    def _trained_mix(self) -> np.ndarray:
        counts = (self.metadata.get("training") or {}).get("label_counts")
        if counts is None:
            raise ValueError(f"{self!r} does not record the label mix it was fitted on "
                             "(training.label_counts), so its probabilities cannot be moved")
        return check_mix(counts, "training.label_counts")

    def estimate_mix(self, texts: str | Iterable[str], *, column: str | None = None,
                     batch_size: int | None = None, threads: int | None = None) -> dict[str, float]:
        """The share of each label among ``texts``, estimated without labels by EM over the
        model's probabilities (:mod:`afzender.label_mix`; ``benchmarks/results/label_mix.md``);
        the arguments as for :meth:`predict_proba`. ``ValueError``: no posts, or a model
        that does not record its training mix."""
        posts, _ = as_text_list(texts, column)
        shares, _ = estimate_mix(self._trained_proba(posts, batch_size, threads), self._trained_mix())
        return as_mapping(shares)

    def with_mix(self, mix: Any) -> Classifier:
        """A copy whose probabilities are moved by Bayes' rule to ``mix`` (each label to a
        positive share, scaled to sum to one; e.g. from :meth:`estimate_mix`); ``None`` gives
        the training mix back. A post's label then depends on the mix of the set it was
        estimated on (an account, a period). ``TypeError``/``ValueError``: not such a mix."""
        shifted = copy.copy(self)
        shifted.metadata = dict(self.metadata)
        shifted._mix = None if mix is None else check_mix(mix)
        if shifted._mix is not None:
            self._trained_mix()   # a model without its training mix cannot be moved
        return shifted

    # ----------------------------------------------------------------- storage
    def save(self, path: str | Path, *, card: str | None = None) -> Path:
        """Write the model folder (manifest, weights, model card) and return its path.

        The folder is written next to its destination first and moved into place, so a
        failed save never leaves a half-written model. ``path`` may be new, an empty folder
        or an afzender model folder (holding only its own files), which is replaced.

        Raises
        ------
        FileExistsError
            ``path`` is a file, a folder with other content, the current directory, one of
            its parents or the home directory; nothing is deleted.
        """
        from .card import model_card

        if self._mix is not None:
            raise ValueError("this classifier's probabilities are moved to a label mix "
                             "(with_mix), which a model folder does not record; save the "
                             "classifier it came from and call with_mix after loading")
        target = Path(path)
        check_replaceable(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        # A plain mkdir, not tempfile.mkdtemp, so the folder gets the umask's permissions.
        staging = target.parent / f".afzender-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            files = self.backend.save(staging)
            manifest = manifest_for(self.metadata, kind=self.kind,
                                    config=self.backend.manifest_config())
            written = {**write_manifest(staging, manifest, files), "path": str(target)}
            (staging / "README.md").write_text(card or model_card(written), encoding="utf-8")
            _ordinary_permissions(staging)
            check_replaceable(target)
            _move_into_place(staging, target)
            self.metadata = written  # only once the folder holds this model
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target


def check_replaceable(target: Path) -> None:
    """Refuse to save over anything but nothing, an empty folder or an afzender model folder
    holding only its own files; never the current directory, its parents or the home
    directory.

    Raises
    ------
    FileExistsError
        Naming ``target`` and why; nothing is deleted.
    """
    resolved = target.resolve()
    cwd = Path.cwd().resolve()
    try:
        home = Path.home().resolve()
    except (KeyError, RuntimeError):  # no home directory known
        home = None
    if resolved in (cwd, home) or resolved in cwd.parents:
        raise FileExistsError(f"{target}: refusing to save a model over the current directory, "
                              "one of its parents or the home directory; name a new folder")
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise FileExistsError(f"{target}: exists and is not a folder; name a new folder")
    if not target.exists():
        return
    entries = folder_entries(target)
    if not entries:
        return
    listed = read_listed_names(target)
    if listed is None:
        raise FileExistsError(f"{target}: folder exists and is not an afzender model folder; "
                              "refusing to replace it (name a new or empty folder)")
    foreign = sorted(set(entries) - listed - {MANIFEST, CARD})
    if foreign:
        raise FileExistsError(f"{target}: model folder also holds other files ({foreign[:3]}); "
                              "refusing to replace it (move them or name a new folder)")


def _move_into_place(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``: one atomic exchange where the OS offers it (Linux
    renameat2), else two renames; the old model ends in ``staging`` (deleted after)."""
    if not target.exists():
        staging.rename(target)
    elif not _exchange(staging, target):
        old = target.parent / f".afzender-old-{uuid.uuid4().hex}"
        target.rename(old)
        try:
            staging.rename(target)
        except OSError:
            old.rename(target)
            raise
        shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    call is not available."""
    import ctypes
    import os

    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def _ordinary_permissions(folder: Path) -> None:
    """Give every file the mode a plain ``open`` got here (the README just written, so the
    umask applies without being read or changed): some writers, safetensors among them,
    create owner-only files."""
    file_mode = (folder / "README.md").stat().st_mode & 0o777
    dir_mode = folder.stat().st_mode & 0o777
    for path in folder.rglob("*"):
        path.chmod(dir_mode if path.is_dir() else file_mode)


def default_model_path() -> Path:
    """The shipped model: inside the installed package, else the source checkout's."""
    return shipped_folder("default")


def load(path: str | os.PathLike[str] | None = None) -> Classifier:
    """Load a model folder (``None``: the shipped default model).

    Raises
    ------
    ModelFileError
        The folder is missing, damaged, tampered with or of an unknown format. Nothing
        in the folder is executed or unpickled.
    """
    start = time.perf_counter()
    folder = read_model_folder(default_model_path() if path is None else Path(path))
    manifest = folder.manifest
    backend: Backend = model_class(manifest["kind"], folder.path / MANIFEST).load(folder)
    logger.info("loaded the %s model in %s (%.2f s)", manifest["kind"], folder.path,
                time.perf_counter() - start)
    return Classifier(backend, {**manifest, "path": str(folder.path)})


_default: Once[Classifier] = Once(lambda: load(None))


def default_classifier() -> Classifier:
    """The shipped model, loaded once on first use (thread-safe)."""
    return _default.get()


def as_classifier(model: Classifier | str | os.PathLike[str] | None) -> Classifier:
    """``model`` itself, the model folder it names, or (``None``) the shipped model."""
    if isinstance(model, Classifier):
        return model
    return default_classifier() if model is None else load(model)
