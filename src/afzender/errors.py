"""Exceptions raised by afzender.

Every error a user can cause is one of these (or a plain ``TypeError`` for a wrong
argument type), with a message that says what is wrong and where.
"""


class AfzenderError(Exception):
    """Base class of all afzender errors."""


class DataError(AfzenderError, ValueError):
    """Input data is unusable: a missing column, unknown labels, a corrupt line, ...

    The message names the file, row or list index where the problem is.
    """


class ModelFileError(AfzenderError):
    """A model folder is missing, damaged, tampered with or of an unknown format.

    Raised by :func:`afzender.load` before any weight is used; loading never unpickles
    and never runs code from the model folder.
    """
