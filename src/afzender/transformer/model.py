"""The transformer backend: a fine-tuned encoder behind the same protocol as the linear model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelFileError
from ..explain import occlusion
from ..linear import softmax
from .engine import EngineConfig, InferenceEngine

SUBDIR = "encoder"
FORBIDDEN = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".py")


class TransformerModel:
    """A sequence-classification encoder with its tokenizer and a temperature."""

    kind = "transformer"

    def __init__(self, model, tokenizer, *, temperature: float = 1.0,
                 config: dict[str, Any] | None = None, engine: EngineConfig | None = None,
                 device: str | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.temperature = temperature
        self.config = dict(config or {})
        self.engine = InferenceEngine(model, tokenizer, engine or EngineConfig(
            max_length=self.config.get("max_length", 128)), device=device)

    def logits(self, texts: list[str]) -> np.ndarray:
        return self.engine.logits(texts).astype(np.float64) / self.temperature

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        return softmax(self.logits(texts))

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
    def load(cls, folder: Path, manifest: dict[str, Any], *, engine: EngineConfig | None = None,
             device: str | None = None) -> "TransformerModel":
        """Load from a verified model folder; only safetensors weights are accepted.

        Raises
        ------
        ModelFileError
            Files that could hold code or pickles, or weights/tokenizer that fail to load.
        """
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        target = folder / SUBDIR
        risky = [p.name for p in target.rglob("*") if p.suffix in FORBIDDEN]
        if risky:
            raise ModelFileError(f"{target}: refusing files that may hold code or pickles: {risky}")
        config = dict(manifest.get("config") or {})
        temperature = config.pop("temperature", 1.0)
        if not isinstance(temperature, (int, float)) or not 0 < temperature < 1e3:
            raise ModelFileError(f"{folder}: config.temperature must be a positive number")
        try:
            model = AutoModelForSequenceClassification.from_pretrained(
                target, use_safetensors=True, local_files_only=True, trust_remote_code=False)
            tokenizer = AutoTokenizer.from_pretrained(target, local_files_only=True,
                                                      trust_remote_code=False)
        except Exception as exc:  # transformers raises many types for broken folders
            raise ModelFileError(f"{target}: cannot load the encoder ({type(exc).__name__}: "
                                 f"{str(exc).splitlines()[0][:200]})") from None
        if model.config.num_labels != 3:
            raise ModelFileError(f"{target}: the classification head has {model.config.num_labels} "
                                 "outputs, expected 3")
        return cls(model, tokenizer, temperature=float(temperature), config=config,
                   engine=engine, device=device)
