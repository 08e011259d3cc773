"""Hashed character and word n-grams, computed for a whole batch at once with numpy.

A batch is one joined, normalised string (see :mod:`afzender.text`). Its code points form
one array; polynomial hashes of every character n-gram and every word come from a single
prefix sum (``hash(span) = P**end * (G[end] - G[start])`` with ``G`` the cumulative sum of
``code * P**-(k+1)``, all modulo 2**64), so there is no per-post Python loop.

Each feature group (char 3-, 4-, 5-grams, words, word bigrams) contributes its hashed
counts divided by the square root of the group's size in that post, so a post's feature
vector is ``sum_g counts_g / sqrt(n_g)`` (close to per-group L2 normalisation, since most
n-grams occur once in a post, yet linear in the occurrences, so scoring stays one pass).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .text import SEPARATOR

CHAR_NGRAMS: tuple[int, ...] = (3, 4, 5)
DEFAULT_BITS = 20

_P = np.uint64(0x100000001B3)          # odd multiplier of the polynomial hash
_P_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_SALTS = {name: np.uint64((i + 1) * 0x9E3779B97F4A7C15 % 2**64)
          for i, name in enumerate(("char2", "char3", "char4", "char5", "word", "word2", "char1",
                                    "char6", "char7", "char8"))}
_SPACE = np.uint32(ord(" "))
_SEP = np.uint32(ord(SEPARATOR))
_AT = np.uint32(ord("@"))
_HASH = np.uint32(ord("#"))


@dataclass
class Occurrences:
    """Every feature occurrence of a batch: hashed bucket, owning post and weight."""

    buckets: np.ndarray   # int64, feature index in [0, 2**bits)
    docs: np.ndarray      # int64, index of the post, non-decreasing within each group
    weights: np.ndarray   # float64, 1 / sqrt(number of features of that group in the post)
    n_docs: int
    # Optional provenance for explanations: start and end character offset of each
    # occurrence within the joined string.
    starts: np.ndarray | None = None
    ends: np.ndarray | None = None
    # Number of evidence words of each post (see :func:`evidence_words`), float64.
    evidence: np.ndarray = field(default_factory=lambda: np.zeros(0))


POWERS_CACHED = 1 << 21  # power tables up to this length are kept (2 x 16 MiB); longer are not


class _Powers:
    """Cache of P**k and P**-k modulo 2**64, grown on demand.

    Both tables are published together as one tuple, so a thread that reads them while
    another grows them gets a matching pair. Tables longer than :data:`POWERS_CACHED`
    are computed for the call that needs them and not kept.
    """

    def __init__(self) -> None:
        self.tables: tuple[np.ndarray, np.ndarray] = (np.ones(1, dtype=np.uint64),
                                                      np.ones(1, dtype=np.uint64))

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        tables = self.tables
        if len(tables[0]) > n:
            return tables
        size = max(n + 1, 2 * len(tables[0]))
        if size > POWERS_CACHED:
            size = n + 1
        tables = (_power_table(_P, size), _power_table(_P_INV, size))
        if size <= POWERS_CACHED and size > len(self.tables[0]):
            self.tables = tables
        return tables


def _power_table(base: np.uint64, size: int) -> np.ndarray:
    table = np.empty(size, dtype=np.uint64)
    table[0] = 1
    if size > 1:
        table[1:] = np.cumprod(np.full(size - 1, base, dtype=np.uint64))
    return table


_POWERS = _Powers()


def _bucket(hashes: np.ndarray, salt: np.uint64, bits: int) -> np.ndarray:
    x = (hashes ^ salt) * _MIX1
    x ^= x >> np.uint64(33)
    x *= _MIX2
    x ^= x >> np.uint64(29)
    return (x >> np.uint64(64 - bits)).astype(np.int64)


def word_spans(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the words (runs of non-space, non-separator code points)."""
    is_word = (codes != _SEP) & (codes != _SPACE)
    edges = np.diff(np.concatenate(([0], is_word.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def evidence_words(codes: np.ndarray, starts: np.ndarray, ends: np.ndarray, docs: np.ndarray,
                   n_docs: int) -> np.ndarray:
    """Per post, the number of its words that carry evidence: words with a letter, digit
    or underscore that are not an ``@mention``. Emoji, punctuation and removed links are
    not evidence; a post with none gets the class prior (see
    :meth:`afzender.backends.linear.model.LinearModel.logits`).

    ``starts``/``ends`` are the word spans of :func:`word_spans` in ``codes``, ``docs``
    their posts. Normalisation splits every other character off as a token of its own,
    so a longer word consists of word characters, ``@`` and ``#``, and only a
    one-character word needs a Unicode test (``str.isalnum``, as regex ``\\w``).
    """
    at_or_hash = (codes == _AT) | (codes == _HASH)
    marks = np.concatenate(([0], np.cumsum(at_or_hash)))
    length = ends - starts
    counted = (marks[ends] - marks[starts] < length) & (codes[starts] != _AT)
    single = np.flatnonzero(counted & (length == 1))
    if len(single):
        chars, inverse = np.unique(codes[starts[single]], return_inverse=True)
        wordlike = np.array([chr(c).isalnum() or c == ord("_") for c in chars.tolist()], dtype=bool)
        counted[single] = wordlike[inverse]
    return np.bincount(docs[counted], minlength=n_docs).astype(np.float64)


def occurrences(joined: str, bits: int = DEFAULT_BITS, *, char_ngrams: tuple[int, ...] = CHAR_NGRAMS,
                provenance: bool = False) -> Occurrences:
    """Hash every n-gram of a normalised, joined batch into ``2**bits`` buckets.

    Parameters
    ----------
    joined:
        Output of :func:`afzender.text.normalize_joined`.
    bits:
        Size of the hashed feature space, ``2**bits``.
    char_ngrams:
        Lengths of the character n-grams (each in 1..8).
    provenance:
        Also return the character span of each occurrence (for explanations).

    Returns
    -------
    Occurrences
    """
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    n = len(codes)
    is_sep = codes == _SEP
    doc_of = np.cumsum(is_sep) - 1            # post index of each position
    n_docs = int(is_sep.sum()) - 1
    seps_before = np.concatenate(([0], np.cumsum(is_sep)))

    pos, neg = _POWERS.upto(n + 1)
    cum = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(codes.astype(np.uint64) * neg[1:n + 1], out=cum[1:])

    def span_hash(start: np.ndarray, end: np.ndarray) -> np.ndarray:
        return pos[end] * (cum[end] - cum[start])

    parts_b, parts_d, parts_w, parts_s, parts_e = [], [], [], [], []

    def add(name: str, start: np.ndarray, end: np.ndarray, hashes: np.ndarray) -> None:
        docs = doc_of[start]
        counts = np.bincount(docs, minlength=n_docs)
        parts_b.append(_bucket(hashes, _SALTS[name], bits))
        parts_d.append(docs)
        parts_w.append(1.0 / np.sqrt(counts[docs]))
        if provenance:
            parts_s.append(start)
            parts_e.append(end)

    for size in char_ngrams:
        start = np.arange(max(n - size + 1, 0))
        start = start[seps_before[start + size] == seps_before[start]]
        add(f"char{size}", start, start + size, span_hash(start, start + size))

    w_start, w_end = word_spans(codes)
    evidence = evidence_words(codes, w_start, w_end, doc_of[w_start], n_docs)
    w_hash = span_hash(w_start, w_end)
    add("word", w_start, w_end, w_hash)
    same_doc = doc_of[w_start[1:]] == doc_of[w_start[:-1]]
    first = np.flatnonzero(same_doc)
    pair_hash = w_hash[first] * _MIX2 + w_hash[first + 1]
    add("word2", w_start[first], w_end[first + 1], pair_hash)

    if not parts_b:
        empty = np.zeros(0, dtype=np.int64)
        return Occurrences(empty, empty, np.zeros(0), n_docs, evidence=evidence)
    return Occurrences(
        buckets=np.concatenate(parts_b),
        docs=np.concatenate(parts_d),
        weights=np.concatenate(parts_w),
        n_docs=n_docs,
        starts=np.concatenate(parts_s) if provenance else None,
        ends=np.concatenate(parts_e) if provenance else None,
        evidence=evidence,
    )


def feature_matrix(occ: Occurrences, bits: int = DEFAULT_BITS):
    """The straightforward sparse form of ``occ``: a ``(n_docs, 2**bits)`` CSR matrix.

    Used for training (scikit-learn) and as the reference the fast scorer is tested
    against. Imports scipy, so it stays out of the prediction path.
    """
    from scipy import sparse

    matrix = sparse.csr_matrix((occ.weights, (occ.docs, occ.buckets)), shape=(occ.n_docs, 2**bits))
    matrix.sum_duplicates()
    return matrix
