"""The one list of backend kinds.

Each entry names, as ``"module:attribute"`` strings, the class that loads a verified model
folder (``cls.load(folder)``) and the function that fits one::

    fit(data, train_idx, dev_idx, *, seed=0, progress=True, **options) -> (backend, info)

``data`` is :class:`~afzender.inputs.labelled.LabelledData`, ``train_idx`` and ``dev_idx``
index into it (the one split of :func:`afzender.inputs.splits.plan_split`; test rows are
never passed), ``options`` are the keyword-only parameters of ``fit``, and ``info`` goes
into ``metadata["training"]``. Modules are imported on first use only, so an optional
backend costs nothing until it is used and a light install loads the linear model without
scikit-learn or torch.

A new backend is one folder under ``backends/`` and one line in :data:`BACKENDS`; ``load``,
the model file's kinds, ``train``'s option checks and the CLI's choices follow from it.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ModelFileError

#: Parameters of every fit function that are not backend options.
COMMON = ("data", "train_idx", "dev_idx", "seed", "progress")


@dataclass(frozen=True)
class BackendSpec:
    """Where one backend kind lives."""

    kind: str
    model: str            # "module:Class"; Class.load(ModelFolder) -> backend
    fit: str              # "module:function"; see the module docstring
    extra: str | None     # the optional extra it needs (pip install 'afzender[extra]')
    summary: str          # one line for help texts


BACKENDS: dict[str, BackendSpec] = {spec.kind: spec for spec in (
    BackendSpec("linear", "afzender.backends.linear.model:LinearModel",
                "afzender.backends.linear.fit:fit", None, "fast, default"),
    BackendSpec("ensemble", "afzender.backends.ensemble.model:EnsembleModel",
                "afzender.backends.ensemble.fit:fit", "e5", "linear + e5 embeddings"),
    BackendSpec("static", "afzender.backends.static.model:StaticModel",
                "afzender.backends.static.fit:fit", None,
                "linear + static e5 vectors (numpy only)"),
    BackendSpec("transformer", "afzender.backends.transformer.model:TransformerModel",
                "afzender.backends.transformer.fit:fit", "transformer",
                "a fine-tuned Hugging Face encoder"),
)}

#: The kinds a model file may declare, in the order help texts list them.
KINDS: tuple[str, ...] = tuple(BACKENDS)


def _resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def spec(kind: object) -> BackendSpec:
    """The entry of ``kind``, else a ``ValueError`` listing the kinds."""
    found = BACKENDS.get(kind) if isinstance(kind, str) else None
    if found is None:
        raise ValueError(f"model must be {', '.join(map(repr, KINDS))}, not {kind!r}")
    return found


def model_class(kind: str, where: object) -> Any:
    """The class that loads a ``kind`` model from the folder ``where``.

    Raises
    ------
    ModelFileError
        An unknown kind, or a backend whose optional extra is not installed.
    """
    if kind not in BACKENDS:
        raise ModelFileError(f"{where}: unknown model kind {kind!r}")
    entry = BACKENDS[kind]
    try:
        return _resolve(entry.model)
    except ImportError as exc:
        raise ModelFileError(f"{where}: a {kind} model needs the optional extra: "
                             f"pip install 'afzender[{entry.extra}]' ({exc})") from None


def fit_function(kind: str) -> Callable[..., tuple[Any, dict[str, Any]]]:
    """The fit function of ``kind`` (imports the backend)."""
    return _resolve(spec(kind).fit)


def fit_options(kind: str) -> set[str]:
    """The options ``train(..., model=kind, **options)`` accepts."""
    parameters = inspect.signature(fit_function(kind)).parameters
    return {name for name, p in parameters.items()
            if name not in COMMON and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


def check_options(kind: str, options: dict[str, Any]) -> None:
    """Refuse options the backend does not know.

    Raises
    ------
    TypeError
        Naming the unknown options.
    """
    unknown = set(options) - fit_options(kind)
    if unknown:
        raise TypeError(f"unknown option(s) for the {kind} model: {', '.join(sorted(unknown))}")
