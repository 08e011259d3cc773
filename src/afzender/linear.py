"""Deprecated for one release: the linear model and its maths moved to
:mod:`afzender.backends.linear.model`, :mod:`afzender.calibration`. Using a name here warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    "afzender.backends.linear.model": ("WEIGHTS", "N_CLASSES", "SPLIT_ABOVE", "BITS_RANGE",
                                       "MAX_WEIGHT", "fastcore", "class_arrays", "LinearModel"),
    "afzender.calibration": ("softmax", "log_softmax", "TEMPERATURE_RANGE"),
})
