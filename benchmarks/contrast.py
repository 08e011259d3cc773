"""Contrast units: does a model hear the voice, or only the subject?

    python benchmarks/contrast.py

Wave 13 (w51-w56, ``data/drafts/WAVE13_BRIEF.md``) writes one subject in two or three
capacities: a *unit* is the posts of one ``pair`` in the drafts, all by one account. Every unit
is scored out of account (5 folds by account over the wave):

- *before*: fitted on the corpus train + dev splits without wave 13;
- *after*: the same plus the wave's posts of the other four folds.

Per system: macro-F1 over the units' posts, unit accuracy (every post of the unit right) and
subject collapse (every post of the unit given one label: the model heard the subject, not
the voice). The real sets of ../shared/data are a check (evaluation only), scored by the
before and after fits on all of their data.

Writes benchmarks/results/contrast.md (+ .json).
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import Embedding
from common import RESULTS, ROOT, corpus, read_jsonl, real_sets, scores, shipped_C, versions, wave, y_of

from afzender.backends.linear.model import LinearModel

SEED = 0
FOLDS = 5
WAVE = range(51, 57)
REAL = ("real-2020 all", "real-2017-2024 all", "party accounts")


def units(rows: list[dict]) -> dict[str, list[dict]]:
    """The wave's units (two or more posts left in the corpus ``rows``), by pair id."""
    by_id = {r["id"]: r for r in rows}
    out: dict[str, list[dict]] = defaultdict(list)
    for number in WAVE:
        path = ROOT / "data" / "drafts" / f"w{number}.jsonl"
        for draft in read_jsonl(path) if path.is_file() else []:
            if draft["id"] in by_id and draft.get("pair"):
                out[draft["pair"]].append(by_id[draft["id"]])
    return {pair: posts for pair, posts in out.items() if len(posts) >= 2}


def fold_of_account(accounts: list[str]) -> dict[str, int]:
    order = sorted(set(accounts))
    random.Random(SEED).shuffle(order)
    return {account: i % FOLDS for i, account in enumerate(order)}


class Linear:
    """The linear model with the shipped model's features and C."""

    name = "afzender linear (shipped features and C)"

    def fit(self, texts, y):
        self.model = LinearModel.fit(texts, y, C=shipped_C())
        return self

    def predict_proba(self, texts):
        return self.model.predict_proba(texts)


def fit_on(system_class, rows: list[dict]):
    return system_class().fit([r["text"] for r in rows], y_of(rows))


def unit_figures(by_unit: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    from sklearn.metrics import f1_score

    gold = np.concatenate([g for g, _ in by_unit.values()])
    pred = np.concatenate([p for _, p in by_unit.values()])
    return {"units": len(by_unit), "posts": len(gold),
            "macro_f1": float(f1_score(gold, pred, average="macro")),
            "unit_accuracy": float(np.mean([(g == p).all() for g, p in by_unit.values()])),
            "subject_collapse": float(np.mean([len(set(p)) == 1 for _, p in by_unit.values()]))}


def evaluate(system_class, base: list[dict], wave_units: dict[str, list[dict]]) -> dict:
    folds = fold_of_account([posts[0]["account"] for posts in wave_units.values()])
    unit_fold = {pair: folds[posts[0]["account"]] for pair, posts in wave_units.items()}
    before = fit_on(system_class, base)
    out: dict[str, dict] = {"before": {}, "after": {}}
    predicted: dict[str, dict] = {"before": {}, "after": {}}
    for fold in range(FOLDS):
        held = {pair: posts for pair, posts in wave_units.items() if unit_fold[pair] == fold}
        if not held:
            continue
        rest = [r for pair, posts in wave_units.items() if unit_fold[pair] != fold for r in posts]
        after = fit_on(system_class, base + rest)
        for when, model in (("before", before), ("after", after)):
            for pair, posts in held.items():
                predicted[when][pair] = (y_of(posts),
                                         model.predict_proba([r["text"] for r in posts]).argmax(1))
    sets = {name: rows for name, rows in real_sets().items() if name in REAL}
    final = {"before": before}
    if sets:
        final["after"] = fit_on(system_class, base + [r for posts in wave_units.values() for r in posts])
    for when in ("before", "after"):
        out[when] = unit_figures(predicted[when])
        if sets:
            out[when]["real"] = scores(final[when].predict_proba, sets)
    return out


def render(results: dict, n_units: dict) -> str:
    lines = ["# Contrast units: voice or subject?", "",
             f"`python benchmarks/contrast.py` · {versions()['date']}. Wave 13 writes one subject in two or "
             f"three capacities (`data/drafts/WAVE13_BRIEF.md`): {n_units['units']} units, "
             f"{n_units['posts']} posts, scored out of account (5 folds by account). *Before*: fitted on "
             "the corpus train + dev splits without wave 13; *after*: plus the wave's posts of the "
             "other folds. Unit accuracy: every post of a unit right; subject collapse: every post of "
             "a unit given one label (the model heard the subject, not the voice). Real sets: "
             "evaluation only, macro-F1 (party accounts: share predicted partijpoliticus), by the "
             "before and after fits on all their data.", "",
             "| system | fit | macro-F1 on the units | unit accuracy | subject collapse | "
             + " | ".join(REAL) + " |",
             "|---|---|---|---|---|" + "---|" * len(REAL)]
    for system, by_when in results.items():
        for when, figures in by_when.items():
            real = figures.get("real", {})
            lines.append(f"| {system} | {when} | {figures['macro_f1']:.3f} | "
                         f"{figures['unit_accuracy']:.3f} | {figures['subject_collapse']:.3f} | "
                         + " | ".join(f"{real[name]:.3f}" if name in real else "–" for name in REAL) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    rows = corpus()
    wave_units = units(rows)
    if not wave_units:
        sys.exit("no wave-13 units in the corpus: build it with tools/build_corpus.py first")
    in_wave = {r["id"] for posts in wave_units.values() for r in posts}
    base = [r for r in rows if r["split"] != "test" and r["id"] not in in_wave and wave(r) not in WAVE]
    systems = [Linear] + ([Embedding] if Embedding.available() else [])
    results = {}
    for system_class in systems:
        results[system_class.name] = evaluate(system_class, base, wave_units)
        print(system_class.name, json.dumps(results[system_class.name]), flush=True)
    n_units = {"units": len(wave_units), "posts": sum(len(p) for p in wave_units.values())}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "contrast.json").write_text(json.dumps(
        {**n_units, "results": results, "versions": versions()}, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "contrast.md").write_text(render(results, n_units), encoding="utf-8")


if __name__ == "__main__":
    main()
