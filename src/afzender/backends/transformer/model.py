"""The transformer backend: a fine-tuned encoder behind the same protocol as the linear model."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ...calibration import TEMPERATURE_RANGE, softmax
from ...errors import ModelFileError
from ...modelfile import ModelFolder, check_number
from ..explain import occlusion
from .engine import EngineConfig, InferenceEngine, torch_threads
from .tokenizer_check import check_tokenizer

SUBDIR = "encoder"
MAX_LENGTH = 512  # tokens per post a model file may ask for


class TransformerModel:
    """A sequence-classification encoder with its tokenizer and a temperature."""

    kind = "transformer"

    def __init__(self, model: Any, tokenizer: Any, *, temperature: float = 1.0,
                 config: dict[str, Any] | None = None, engine: EngineConfig | None = None,
                 device: str | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.temperature = temperature
        self.config = dict(config or {})
        self.engine = InferenceEngine(model, tokenizer, engine or EngineConfig(
            max_length=self.config.get("max_length", 128)), device=device)

    def logits(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """Calibrated logits; ``threads``: torch's CPU threads for these forward passes
        (see :func:`~.engine.torch_threads`; default: torch's setting)."""
        with torch_threads(threads):
            raw = self.engine.logits(texts)
        return raw.astype(np.float64) / self.temperature

    def predict_proba(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        return softmax(self.logits(texts, threads))

    def explain(self, texts: list[str], top: int = 8) -> list[list[tuple[str, float]]]:
        return occlusion(self.predict_proba, texts, top)

    def manifest_config(self) -> dict[str, Any]:
        return {**self.config, "temperature": self.temperature}

    def save(self, folder: Path) -> list[str]:
        target = folder / SUBDIR
        self.model.save_pretrained(target, safe_serialization=True)
        self.tokenizer.save_pretrained(target)
        return sorted(str(p.relative_to(folder)) for p in target.rglob("*") if p.is_file())

    @classmethod
    def load(cls, folder: ModelFolder, *, engine: EngineConfig | None = None,
             device: str | None = None) -> TransformerModel:
        """Load from a verified model folder; only safetensors weights are accepted.

        transformers reads a private copy of the verified bytes of the files under
        ``encoder/`` that the manifest lists, so no other file can reach it.

        Raises
        ------
        ModelFileError
            A tokenizer with unaccepted components, ``config.max_length`` or the
            temperature out of range, weights/tokenizer that fail to load, or weights that
            are not finite.
        """
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        config = dict(folder.manifest.get("config") or {})
        temperature = check_number(config.pop("temperature", 1.0), f"{folder.path}: config.temperature",
                                   *TEMPERATURE_RANGE)
        max_length = check_number(config.get("max_length", 128), f"{folder.path}: config.max_length",
                                  1, MAX_LENGTH, integer=True)
        prefix = SUBDIR + "/"
        members = {name[len(prefix):]: blob for name, blob in folder.blobs.items()
                   if name.startswith(prefix)}
        if "tokenizer.json" in members:
            check_tokenizer(members["tokenizer.json"], folder.path / SUBDIR / "tokenizer.json")
        target = folder.path / SUBDIR
        with tempfile.TemporaryDirectory(prefix="afzender-encoder-") as private:
            for name, blob in members.items():
                (Path(private) / name).parent.mkdir(parents=True, exist_ok=True)
                (Path(private) / name).write_bytes(blob)
            try:
                model = AutoModelForSequenceClassification.from_pretrained(
                    private, use_safetensors=True, local_files_only=True, trust_remote_code=False)
                tokenizer = AutoTokenizer.from_pretrained(private, local_files_only=True,
                                                          trust_remote_code=False)
            except (KeyboardInterrupt, SystemExit, MemoryError):
                raise
            except BaseException as exc:  # many types for broken folders; a Rust panic too
                raise ModelFileError(f"{target}: cannot load the encoder ({type(exc).__name__}: "
                                     f"{(str(exc).splitlines() or [''])[0][:200]})") from None
        if model.config.num_labels != 3:
            raise ModelFileError(f"{target}: the classification head has {model.config.num_labels} "
                                 "outputs, expected 3")
        positions = getattr(model.config, "max_position_embeddings", None)
        if isinstance(positions, int) and max_length > positions:
            raise ModelFileError(f"{folder.path}: config.max_length {max_length} exceeds the "
                                 f"encoder's {positions} positions")
        bad = [name for name, value in model.state_dict().items()
               if value.is_floating_point() and not bool(value.isfinite().all())]
        if bad:
            raise ModelFileError(f"{target}: weights contain NaN or infinity ({bad[0]})")
        return cls(model, tokenizer, temperature=float(temperature), config=config,
                   engine=engine, device=device)
