"""Deprecated for one release: the project's corpus moved to :mod:`afzender.inputs.corpus`.
Using a name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.inputs.corpus": ("SPLITS", "corpus_path", "load_corpus"),
})
