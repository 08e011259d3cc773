"""Deprecated for one release: the transformer backend moved to
:mod:`afzender.backends.transformer` (``train`` is now ``fit``). Its old submodules
(``afzender.transformer.model``, ``.train``, ``.engine``, ...) forward with a warning."""
