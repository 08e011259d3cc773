"""Deprecated: PNG plots moved to :mod:`afzender.evaluation.plots`. This name stays for one
release; using it warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    'afzender.evaluation.plots': ('plot_confusion_matrix', 'plot_reliability'),
})
