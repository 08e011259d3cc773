"""Deprecated for one release: the PNG plots moved to :mod:`afzender.evaluation.plots`. Using a
name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.evaluation.plots": ("plot_confusion_matrix", "plot_reliability"),
})
