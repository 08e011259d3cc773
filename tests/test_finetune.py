"""The CPU fine-tuning recipe's pieces: length-grouped batches and the time budget."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

import afzender  # noqa: E402
from afzender.backends.transformer.fit import _length_grouped  # noqa: E402
from afzender.backends.transformer.tiny import make_encoder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@given(st.lists(st.integers(1, 512), min_size=1, max_size=400), st.integers(1, 40),
       st.integers(0, 2**31 - 1))
@settings(max_examples=60, deadline=None)
def test_length_grouped_batches_hold_every_row_once(lengths, batch_size, seed):
    lengths = np.array(lengths)
    batches = _length_grouped(lengths, batch_size, torch.Generator().manual_seed(seed), group=3)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(1 <= len(b) <= batch_size for b in batches)
    span = 3 * batch_size   # each group of 3 batches is cut on its own
    assert len(batches) == sum(-(-min(span, len(lengths) - s) // batch_size)
                               for s in range(0, len(lengths), span))
    for batch in batches:  # sorted by length within a batch
        assert list(lengths[batch]) == sorted(lengths[batch])


def test_length_grouping_pads_less_than_random_batches():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 200, size=2000)
    grouped = _length_grouped(lengths, 16, torch.Generator().manual_seed(0))
    padded = sum(len(b) * lengths[b].max() for b in grouped)
    order = rng.permutation(len(lengths))
    random_padded = sum(16 * lengths[order[i:i + 16]].max() for i in range(0, len(order), 16))
    assert padded < 0.7 * random_padded


def test_time_budget_stops_training_and_still_evaluates(tmp_path):
    rows = [json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")][::30]
    base = make_encoder([r["text"] for r in rows], tmp_path / "base", vocab_size=600)
    model = afzender.train(rows, model="transformer", base_model=str(base), epochs=3,
                           batch_size=8, max_length=32, time_budget=1e-6, progress=False,
                           freeze_embeddings=True)
    info = model.metadata["training"]
    assert info["stopped_by_time_budget"] is True and info["steps"] == 1
    assert len(info["dev_macro_f1_per_epoch"]) == 1   # the dev part was still scored
    assert model.backend.config["freeze_embeddings"] is True


@given(st.lists(st.floats(0, 1), min_size=1, max_size=12), st.integers(1, 4))
@settings(max_examples=60, deadline=None)
def test_early_stopping_keeps_the_best_epoch(scores, patience):
    from afzender.backends.transformer.fit import EarlyStopping

    class Model:   # state_dict() tells the epochs apart
        epoch = 0

        def state_dict(self):
            return {"epoch": self.epoch}

    model, stopping, stopped_at = Model(), EarlyStopping(patience), None
    for epoch, score in enumerate(scores):
        model.epoch = epoch
        if stopping.stop(score, model):
            stopped_at = epoch
            break
    run = scores[:len(stopping.history)]
    best = max(range(len(run)), key=lambda i: (run[i], -i))   # the first of the best scores
    assert stopping.history == [round(s, 4) for s in run]
    assert stopping.f1 == run[best] and stopping.state == {"epoch": best}
    if stopped_at is not None:   # stopped after exactly `patience` epochs without a better one
        assert stopped_at - best == patience
    else:
        assert len(run) == len(scores) and len(scores) - 1 - best < patience
