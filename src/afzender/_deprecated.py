"""Old import paths kept for one release: a module ``__getattr__`` that warns and forwards.

The shim modules import nothing at load time, so they take no part in the import graph;
a name is looked up in its new home on first use, with a :class:`DeprecationWarning`.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable
from typing import Any


def moved(old: str, homes: dict[str, Iterable[str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old`` whose names now live in ``homes``
    (new module -> names it holds)."""
    where = {name: new for new, names in homes.items() for name in names}

    def __getattr__(name: str) -> Any:
        new = where.get(name)
        if new is None:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        warnings.warn(f"{old}.{name} is deprecated and will be removed in the next release; "
                      f"import it from {new}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new), name)

    return __getattr__


def moved_module(old: str, new: str, renamed: dict[str, str] | None = None) -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``old``, a module moved whole to ``new``: every name
    of ``new`` is forwarded, with the same warning as :func:`moved`; ``renamed`` maps old
    names to their new ones."""
    renamed = renamed or {}

    def __getattr__(name: str) -> Any:
        module = importlib.import_module(new)
        target = renamed.get(name, name)
        if name.startswith("__") or not hasattr(module, target):
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        where = new if target == name else f"{new} (as {target})"
        warnings.warn(f"{old}.{name} is deprecated and will be removed in the next release; "
                      f"import it from {where}", DeprecationWarning, stacklevel=2)
        return getattr(module, target)

    return __getattr__
