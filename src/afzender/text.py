"""Normalisation of social-media text, shared by training and inference.

All texts of a batch are normalised together as one joined string (``SEPARATOR`` between
posts), so the regular expressions run once per batch instead of once per post. Every
rule is local, so a post normalises the same alone as inside any batch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

SEPARATOR = "\x00"
MAX_CHARS = 20_000  # posts are cut here, before and again after NFKC (documented limit)

_NUL = re.compile("\x00")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINK = re.compile(r"https?://[^\s\x00]+|www\.[^\s\x00]+|\(link\)|\[link\]")  # on lower-cased text
_LINK_ANY_CASE = re.compile(_LINK.pattern, re.IGNORECASE)
_INVISIBLE = re.compile("[\ufe0e\ufe0f\u200b-\u200d\u2060-\u206f\u00ad\ufeff]")
_CONTROL = re.compile("[\x01-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2028\u2029]")
_PUNCT = re.compile(r"([^\w\s\x00@#])")
_DIGITS = re.compile("[1-9]")


def _join(texts: Sequence[str]) -> str:
    """Cut each post at MAX_CHARS, join with SEPARATOR (NUL inside a post becomes a
    space), and replace lone surrogates, which cannot be encoded, by U+FFFD."""
    if any(len(text) > MAX_CHARS for text in texts):
        texts = [text[:MAX_CHARS] for text in texts]
    joined = SEPARATOR.join(texts)
    if joined.count(SEPARATOR) != max(len(texts) - 1, 0):
        joined = SEPARATOR.join(_NUL.sub(" ", text) for text in texts)
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        joined = _SURROGATE.sub("\ufffd", joined)
    return joined


def prejoin(texts: Sequence[str]) -> str:
    """The whole-batch first steps of :func:`normalize_joined`: cut, join with
    :data:`SEPARATOR`, replace NUL and lone surrogates, NFKC, lower case, cut again.

    NFKC can lengthen a post 18-fold (U+FDFA), so each post is cut at :data:`MAX_CHARS`
    code points both before and after it: a post never reaches the featuriser longer.

    Everything after this is local to each character or post (links, invisible and
    control characters, punctuation, digits, whitespace); the optional C scoring core
    (``afzender._fastcore``) takes this string and does those steps itself.
    """
    normalised = _nfkc(_join(texts))
    lowered = normalised.lower()
    if len(lowered) != len(normalised):  # only U+0130 lengthens (to two code points)
        lowered = SEPARATOR.join(part[:MAX_CHARS] for part in lowered.split(SEPARATOR))
    return lowered


def normalize_joined(texts: Sequence[str]) -> str:
    """Normalise ``texts`` and return them joined, each as ``" " + post + " "``.

    Posts are separated by :data:`SEPARATOR`; the result starts and ends with it, so the
    i-th post lies between the i-th and (i+1)-th separator.

    The rules: cut at :data:`MAX_CHARS`; NUL, control and bidi characters become spaces;
    lone surrogates become U+FFFD; Unicode NFKC; lower case; links and the anonymised
    ``(LINK)`` are removed (rule 4 of the guide: a link is judged by the words around it,
    and whether a post carries a link says more about the platform than the capacity);
    punctuation and emoji are split off as tokens while
    ``@mentions`` and ``#hashtags`` stay whole; digits become ``0``; whitespace collapses.
    """
    joined = prejoin(texts)
    joined = _CONTROL.sub(" ", _INVISIBLE.sub("", _LINK.sub(" ", joined)))
    joined = _DIGITS.sub("0", _PUNCT.sub(_spaced, joined))
    body = " ".join(joined.replace(SEPARATOR, f" {SEPARATOR} ").split())
    # A post without tokens is " " alone as in a batch (no body at all: one space, not two).
    return f"{SEPARATOR} {body} {SEPARATOR}" if body else f"{SEPARATOR} {SEPARATOR}"


def _spaced(match: re.Match) -> str:
    return f" {match.group()} "


def _nfkc(joined: str) -> str:
    """NFKC, applied only to the posts that need it (most do not, and it is costly); a
    post that NFKC lengthens is cut at :data:`MAX_CHARS` again, one post at a time."""
    if unicodedata.is_normalized("NFKC", joined):
        return joined
    parts = joined.split(SEPARATOR)
    return SEPARATOR.join(part if unicodedata.is_normalized("NFKC", part)
                          else unicodedata.normalize("NFKC", part)[:MAX_CHARS] for part in parts)


def normalize(text: str) -> str:
    """Return the normalised form of one post, as the models see it.

    >>> normalize("Kijk: https://t.co/abc @USER #Corona!")
    'kijk : @user #corona !'
    """
    return normalize_joined([text]).strip(SEPARATOR).strip(" ")


def encoder_texts(texts: Sequence[str]) -> list[str]:
    """Light normalisation for subword encoders (transformers): the same link, control,
    invisible-character and length rules as :func:`normalize_joined`, but case,
    punctuation and digits are kept, since encoders have learned from them."""
    joined = _CONTROL.sub(" ", _INVISIBLE.sub("", _LINK_ANY_CASE.sub(" ", _join(texts))))
    return [" ".join(part.split()) for part in joined.split(SEPARATOR)]
