"""Deprecated for one release: moved to :mod:`afzender.backends.transformer.tiny`.
Using a name here warns."""

from .._deprecated import moved_module

__getattr__ = moved_module(__name__, "afzender.backends.transformer.tiny")
