"""A value made on first use, once, even when threads race for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Once(Generic[T]):
    """``Once(factory).get()`` calls ``factory`` the first time only; a factory that
    raises is tried again on the next call."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._made = False
        self._value: T | None = None

    def get(self) -> T:
        if not self._made:
            with self._lock:
                if not self._made:
                    self._value = self._factory()
                    self._made = True
        return self._value  # type: ignore[return-value]
