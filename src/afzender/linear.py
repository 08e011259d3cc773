"""Deprecated: The linear model moved to :mod:`afzender.backends.linear.model`, :mod:`afzender.calibration`. This name stays for one
release; using it warns."""

from ._deprecated import moved

__getattr__ = moved(__name__, {
    'afzender.backends.linear.model': ('WEIGHTS', 'N_CLASSES', 'SPLIT_ABOVE', 'BITS_RANGE', 'MAX_WEIGHT', 'fastcore', 'class_arrays', 'LinearModel'),
    'afzender.calibration': ('softmax', 'log_softmax', 'TEMPERATURE_RANGE'),
})
