"""Deprecated: Explanations by occlusion moved to :mod:`afzender.backends.explain`. This name stays for one
release; using it warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    'afzender.backends.explain': ('MAX_WORDS', 'occlusion', 'merge_by_word'),
})
