"""The batched inference core for encoders.

Posts are tokenised once, sorted by length and cut into batches under a token budget
(``batch size x padded length``), so short posts are not padded to the longest one and a
batch of long posts does not blow up memory. Each batch is padded only to its own longest
post, run under ``torch.inference_mode``, and the logits are put back in input order.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from ...errors import ModelFileError
from ...text import encoder_texts


def best_device(requested: str | None = None) -> torch.device:
    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


_threads_lock = threading.Lock()


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(threads)``, then restore the previous
    value. The setting is process-wide, so blocks that set it run one at a time (a module
    lock). ``None``: torch's setting as it is, no lock.

    Raises
    ------
    ValueError
        ``threads`` is not a positive integer.
    """
    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    with _threads_lock:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(previous)


PRECISIONS = ("fp32", "int8", "int8-all", "bf16")
INT8_PRECISIONS = ("int8", "int8-all")


def is_feed_forward(name: str) -> bool:
    """Whether a Linear layer's qualified name is one of a transformer block's two
    feed-forward layers (BERT, RoBERTa, XLM-R: ``intermediate.dense`` and the block's
    ``output.dense``; DistilBERT: ``ffn.lin1``, ``ffn.lin2``)."""
    return (name.endswith("intermediate.dense") or name.endswith(("ffn.lin1", "ffn.lin2"))
            or (name.endswith("output.dense") and "attention" not in name))


def quantize_int8(model: torch.nn.Module, *, feed_forward: bool = False) -> torch.nn.Module:
    """Dynamic int8 quantisation of the model's Linear layers, in place (the fp32 weights
    are replaced, not kept beside the int8 copy), one weight scale per output row.

    The feed-forward layers stay fp32 unless ``feed_forward``: on e5-small fine-tuned on
    the corpus, int8 and fp32 labels agree on 99.2 % of 3,485 posts when they stay fp32 and
    on 93.7 % when they are quantised too, which is faster (``benchmarks/results/int8.md``).
    """
    quantization = torch.ao.quantization
    layers = {name for name, module in model.named_modules()
              if isinstance(module, torch.nn.Linear) and (feed_forward or not is_feed_forward(name))}
    return quantization.quantize_dynamic(
        model, dict.fromkeys(layers, quantization.per_channel_dynamic_qconfig),
        dtype=torch.qint8, inplace=True)


@dataclass
class EngineConfig:
    max_length: int = 128
    token_budget: int = 8192      # padded tokens per forward pass
    max_batch: int = 256
    threads: int | None = None    # CPU threads (default: torch's choice)
    precision: str = "fp32"       # one of PRECISIONS: "int8" and "int8-all" on the CPU, "bf16" on a GPU
    prefix: str = ""              # put before every post (e5 embeddings: "passage: ")


class InferenceEngine:
    """Fast batched logits for a sequence-classification encoder.

    Parameters
    ----------
    model, tokenizer:
        A ``transformers`` model with a classification head and its fast tokenizer, or a
        module with an ``output_dim`` attribute that returns a tensor (e.g. sentence
        embeddings). With an int8 precision the model's Linear layers are quantised in
        place (:func:`quantize_int8`).
    config:
        Batching and precision settings.
    device:
        ``"cpu"``, ``"cuda"``, ``"mps"`` or ``None`` for the best available.
    """

    def __init__(self, model, tokenizer, config: EngineConfig | None = None,
                 device: str | None = None) -> None:
        self.config = config or EngineConfig()
        self.device = best_device(device)
        self.tokenizer = tokenizer
        if self.config.threads and self.device.type == "cpu":
            torch.set_num_threads(self.config.threads)
        model = model.eval().to(self.device)
        if self.config.precision in INT8_PRECISIONS:
            if self.device.type != "cpu":
                raise ValueError("int8 dynamic quantisation runs on the CPU only")
            model = quantize_int8(model, feed_forward=self.config.precision == "int8-all")
        elif self.config.precision == "bf16":
            model = model.to(torch.bfloat16)
        elif self.config.precision != "fp32":
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, "
                             f"not {self.config.precision!r}")
        self.model = model
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.width = getattr(model, "output_dim", None) or model.config.num_labels

    def _batches(self, lengths: np.ndarray) -> Iterator[np.ndarray]:
        order = np.argsort(-lengths, kind="stable")
        start = 0
        while start < len(order):
            longest = int(lengths[order[start]])
            size = max(1, min(self.config.max_batch, self.config.token_budget // max(longest, 1)))
            yield order[start:start + size]
            start += size

    def logits(self, texts: list[str]) -> np.ndarray:
        """Class logits, shape ``(len(texts), n_labels)``, in input order."""
        if not texts:
            return np.zeros((0, self.width), dtype=np.float32)
        encoded = self._tokenize([self.config.prefix + t for t in encoder_texts(texts)])
        lengths = np.fromiter((len(ids) for ids in encoded), dtype=np.int64, count=len(encoded))
        out = np.empty((len(texts), self.width), dtype=np.float32)
        with torch.inference_mode():
            for batch in self._batches(lengths):
                width = int(lengths[batch].max())
                ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, index in enumerate(batch):
                    sequence = encoded[index]
                    ids[row, :len(sequence)] = torch.tensor(sequence)
                    mask[row, :len(sequence)] = 1
                result = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device))
                out[batch] = getattr(result, "logits", result).float().cpu().numpy()
        return out

    def _tokenize(self, texts: list[str]) -> list[list[int]]:
        """Token ids; a tokenizer failure, even a Rust panic (a ``BaseException``), becomes
        a :class:`~afzender.ModelFileError`."""
        try:
            return self.tokenizer(texts, truncation=True, max_length=self.config.max_length)["input_ids"]
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # pyo3's PanicException derives from BaseException
            raise ModelFileError(f"the model's tokenizer failed ({type(exc).__name__}: "
                                 f"{(str(exc).splitlines() or [''])[0][:160]})") from None

    def stream(self, texts: Iterable[str], chunk: int = 2048) -> Iterator[np.ndarray]:
        """Logits for any iterable, ``chunk`` posts at a time (bounded memory, in order)."""
        buffer: list[str] = []
        for text in texts:
            buffer.append(text)
            if len(buffer) == chunk:
                yield self.logits(buffer)
                buffer = []
        if buffer:
            yield self.logits(buffer)
