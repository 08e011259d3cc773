"""Deprecated for one release: explanations by occlusion moved to
:mod:`afzender.backends.explain`. Using a name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.backends.explain": ("MAX_WORDS", "occlusion", "merge_by_word"),
})
