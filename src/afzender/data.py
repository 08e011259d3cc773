"""Deprecated: The project's corpus moved to :mod:`afzender.inputs.corpus`. This name stays for one
release; using it warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    'afzender.inputs.corpus': ('SPLITS', 'corpus_path', 'load_corpus'),
})
