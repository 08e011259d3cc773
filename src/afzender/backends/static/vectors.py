"""Static e5 vectors: one vector per subword piece of multilingual-e5-small, a pretrained
encoder that needs nothing but numpy.

The vectors are distilled once, by ``python tools/distil_vectors.py`` (model2vec's recipe):
every piece of e5's SentencePiece vocabulary is passed alone through the encoder and
mean-pooled, the vectors are reduced by PCA and weighted by piece frequency (SIF). The
shipped set keeps the most frequent pieces in Latin script (and every single character),
stored as int8 with one scale per row (``models/static-vectors/README.md``).

A post's vector is the mean of its pieces' vectors. Pieces come from a Viterbi
segmentation of each whitespace-separated word over the kept pieces and their unigram
scores, SentencePiece's own algorithm (with NFKC in place of its normalisation map); a
character no piece covers is skipped. Links are removed first, as for the e5 encoder.
Words are segmented once and cached (:class:`Pooler`); a model scores through the piece
vectors projected onto its head, so a post costs a dictionary lookup and a few additions
per word.
"""

from __future__ import annotations

import json
import os
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..._once import Once
from ...errors import ModelFileError
from ...labels import LABELS
from ...modelfile import (
    ModelFolder,
    check_finite,
    read_model_folder,
    save_arrays,
    shipped_folder,
    write_manifest,
)
from ...text import encoder_texts

VECTORS = "static_vectors.safetensors"
PIECES = "static_pieces.json"
FILES = (VECTORS, PIECES)
KIND = "static-vectors"       # the manifest kind of a folder holding vectors only
WORD_START = "\u2581"         # SentencePiece's word-start mark
MAX_PIECE = 16                # longest piece tried in the segmentation (characters)
UNKNOWN_SCORE = -100.0        # a character no piece covers: skipped at this cost
WORD_CACHE_BYTES = 1 << 27    # a pooler's word cache (~128 MiB) starts over when full
MAX_CACHED_WORDS = 1_000_000
CHUNK = 1024                  # posts pooled at a time (bounds the temporary array)
MAX_SCALE = 10.0
ABOUT = ("source", "recipe", "command")   # provenance keys carried from folder to folder


class Pooler:
    """The mean of the piece vectors of each post, words segmented once and cached.

    ``vectors`` are one row per piece: the piece vectors themselves, or (for prediction)
    their projection onto a head's weights, so that scoring a post adds a few numbers per
    word. Each cached word keeps the sum of its pieces' rows and their count.
    """

    def __init__(self, segment: Callable[[str], list[int]], vectors: np.ndarray) -> None:
        self._segment, self._vectors = segment, np.asarray(vectors, np.float32)
        width = self._vectors.shape[1] + 1
        self._limit = min(MAX_CACHED_WORDS, WORD_CACHE_BYTES // (4 * width))
        self._lock = threading.Lock()
        self.forget()

    def forget(self) -> None:
        """Empty the word cache."""
        self._words: dict[str, int] = {}
        self._table = np.zeros((1024, self._vectors.shape[1] + 1), np.float32)

    def _word_row(self, word: str) -> int:
        row = self._words.get(word)
        if row is None:
            row = len(self._words)
            if row == len(self._table):
                self._table = np.concatenate([self._table, np.zeros_like(self._table)])
            pieces = self._segment(word)
            if pieces:
                self._table[row, :-1] = self._vectors[pieces].sum(axis=0)
                self._table[row, -1] = len(pieces)
            self._words[word] = row
        return row

    def __call__(self, texts: list[str], progress: str | None = None) -> np.ndarray:
        """``(len(texts), width)`` float64 means (a post without a known piece: zeros);
        ``progress``: a bar with this description."""
        cleaned = encoder_texts(texts)
        if len(cleaned) <= CHUNK and progress is None:   # the common small call, no bar
            with self._lock:
                return self._means(cleaned)
        from tqdm.auto import tqdm

        out = np.zeros((len(cleaned), self._vectors.shape[1]))
        with self._lock, tqdm(total=len(cleaned), desc=progress, unit="post",
                              disable=progress is None) as bar:
            for first in range(0, len(cleaned), CHUNK):
                part = cleaned[first:first + CHUNK]
                out[first:first + len(part)] = self._means(part)
                bar.update(len(part))
        return out

    def _means(self, texts: list[str]) -> np.ndarray:
        rows: list[int] = []
        starts, owners = [], []
        known, normalize = self._words.get, unicodedata.normalize
        for i, text in enumerate(texts):
            words = normalize("NFKC", text).split()
            if words:
                found = list(map(known, words))
                if None in found:
                    found = [self._word_row(w) for w in words]
                starts.append(len(rows))
                owners.append(i)
                rows.extend(found)  # type: ignore[arg-type]  # no None left
        means = np.zeros((len(texts), self._vectors.shape[1]))
        if rows:  # the table may have grown while segmenting: read it after
            sums = np.add.reduceat(self._table[rows], starts, axis=0, dtype=np.float64)
            counts = sums[:, -1:]
            means[owners] = np.divide(sums[:, :-1], counts, out=np.zeros_like(sums[:, :-1]),
                                      where=counts > 0)
        if len(self._words) > self._limit:   # only between chunks: the rows above stay valid
            self.forget()
        return means


@dataclass(eq=False)
class StaticVectors:
    """Piece vectors and the segmentation that maps a post onto them.

    Call it like the e5 encoder: ``vectors(texts) -> (len(texts), dim)`` float64, the mean
    of the post's piece vectors (zeros for a post without a known piece).
    :meth:`pooler` gives the same means projected onto a head, for fast scoring.
    """

    pieces: list[str]
    scores: np.ndarray    # (n,) float32, unigram log-probabilities
    codes: np.ndarray     # (n, dim) int8
    scales: np.ndarray    # (n,) float32; vector = codes * scale
    about: dict[str, str] = field(default_factory=dict)   # where they come from (source, recipe)
    _index: dict[str, tuple[int, float]] = field(init=False, repr=False)
    _full: Once[Pooler] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {piece: (row, score)
                       for row, (piece, score) in enumerate(zip(self.pieces, self.scores.tolist()))}
        self._full = Once(lambda: Pooler(self.segment, self.vectors()))

    @property
    def dim(self) -> int:
        return int(self.codes.shape[1])

    def vectors(self, projection: np.ndarray | None = None) -> np.ndarray:
        """The dequantised piece vectors, ``(n, dim)`` float32, or their product with
        ``projection`` ``(dim, k)``, dequantised a block at a time."""
        if projection is None:
            return self.codes.astype(np.float32) * self.scales[:, None]
        return np.concatenate([(self.codes[first:first + 8192].astype(np.float32)
                                * self.scales[first:first + 8192, None]) @ projection
                               for first in range(0, len(self.pieces), 8192)])

    def pooler(self, weights: np.ndarray) -> Pooler:
        """A :class:`Pooler` of ``means @ weights.T`` (``weights``: ``(k, dim)``), which
        keeps ``k`` numbers per cached word instead of ``dim``."""
        return Pooler(self.segment, self.vectors(np.asarray(weights, np.float32).T))

    # ------------------------------------------------------------ segmentation
    def segment(self, word: str) -> list[int]:
        """The rows of the pieces of ``word`` (one word, no spaces), first to last, as
        SentencePiece's unigram model splits it; uncovered characters are left out."""
        text = WORD_START + word
        n = len(text)
        best = [0.0] + [-np.inf] * n
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)
        for end in range(1, n + 1):
            for start in range(max(0, end - MAX_PIECE), end):
                hit = self._index.get(text[start:end])
                if hit is not None and best[start] + hit[1] > best[end]:
                    best[end], back[end] = best[start] + hit[1], (start, hit[0])
            if best[end] == -np.inf:
                best[end], back[end] = best[end - 1] + UNKNOWN_SCORE, (end - 1, -1)
        rows, end = [], n
        while end > 0:
            start, row = back[end]
            if row >= 0:
                rows.append(row)
            end = start
        return rows[::-1]

    # ------------------------------------------------------------------ encoding
    def __call__(self, texts: list[str], *, progress: bool = False,
                 threads: int | None = None) -> np.ndarray:
        """Mean piece vectors, ``(len(texts), dim)`` float64; ``threads`` is unused (the
        encoder is a table lookup)."""
        return self._full.get()(texts, "embedding (static e5)" if progress else None)

    # ------------------------------------------------------------------- storage
    def save(self, folder: Path) -> list[str]:
        """Write :data:`FILES` into ``folder`` (a model folder's or a vectors folder's)."""
        save_arrays(folder / VECTORS, {"codes": self.codes, "scales": self.scales,
                                       "scores": self.scores})
        (folder / PIECES).write_text(json.dumps(self.pieces, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
        return list(FILES)

    def config(self) -> dict[str, Any]:
        return {"pieces": len(self.pieces), "dim": self.dim,
                "segmentation": "SentencePiece unigram Viterbi over the kept pieces, NFKC",
                **self.about}

    @classmethod
    def load(cls, model: ModelFolder) -> StaticVectors:
        """The vectors in a verified folder (a static model's or a vectors folder's).

        Raises
        ------
        ModelFileError
            Files missing, of the wrong dtype or shape, pieces that are not unique
            strings, or scales that are not finite and positive.
        """
        arrays = model.arrays(VECTORS, {"codes": ("int8", 2), "scales": ("float32", 1),
                                        "scores": ("float32", 1)})
        try:
            pieces = json.loads(model.read(PIECES).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelFileError(f"{model.path / PIECES}: not valid JSON ({exc})") from None
        if (not isinstance(pieces, list) or not all(isinstance(p, str) and p for p in pieces)
                or len(set(pieces)) != len(pieces)):
            raise ModelFileError(f"{model.path / PIECES}: must be a list of unique, non-empty strings")
        codes, scales, scores = arrays["codes"], arrays["scales"], arrays["scores"]
        if not (codes.shape[0] == len(scales) == len(scores) == len(pieces)) or codes.shape[1] < 1:
            raise ModelFileError(f"{model.path / VECTORS}: {codes.shape[0]} vectors, {len(scales)} "
                                 f"scales and {len(scores)} scores for {len(pieces)} pieces")
        check_finite(model.path / VECTORS, MAX_SCALE, scales=scales)
        check_finite(model.path / VECTORS, 1e4, scores=scores)
        if (scales <= 0).any():
            raise ModelFileError(f"{model.path / VECTORS}: scales must be positive")
        config = model.manifest.get("config")
        if isinstance(config, dict) and model.manifest.get("kind") != KIND:
            config = config.get("vectors")   # a static model's: its vectors' part
        about = {key: config[key] for key in ABOUT
                 if isinstance(config, dict) and isinstance(config.get(key), str)}
        return cls(pieces, scores, codes, scales, about)


def quantise(pieces: list[str], scores: np.ndarray, vectors: np.ndarray) -> StaticVectors:
    """:class:`StaticVectors` from float vectors: int8 codes with a scale per row."""
    vectors = np.asarray(vectors, np.float32)
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127
    codes = np.clip(np.rint(vectors / scales[:, None]), -127, 127).astype(np.int8)
    return StaticVectors(list(pieces), np.asarray(scores, np.float32), codes,
                         scales.astype(np.float32))


def save_vectors_folder(vectors: StaticVectors, folder: Path, about: dict[str, Any]) -> None:
    """A folder of vectors alone (what :func:`read_vectors` reads), with a hashed manifest;
    ``about`` says where the vectors come from."""
    folder.mkdir(parents=True, exist_ok=True)
    files = vectors.save(folder)
    provenance = {key: str(about[key]) for key in ABOUT if key in about}
    write_manifest(folder, {"kind": KIND, "labels": list(LABELS),
                            "config": {**vectors.config(), **provenance}}, files)


def default_vectors_path() -> Path:
    """The shipped vectors: inside the installed package, else the source checkout's."""
    return shipped_folder("static-vectors")


def read_vectors(path: str | os.PathLike[str] | None = None) -> StaticVectors:
    """The vectors in ``path`` (a vectors folder or a static model folder; ``None``: the
    shipped ones), hash-verified like any model folder."""
    return StaticVectors.load(read_model_folder(default_vectors_path() if path is None else Path(path)))
