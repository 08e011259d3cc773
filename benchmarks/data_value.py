"""What each part of the corpus is worth to the linear model on real posts.

    python benchmarks/data_value.py

Linear models with the shipped model's features and C, fitted on parts of the corpus
train + dev splits, scored on the corpus test split and on the real sets in
../shared/data (evaluation only, never trained on):

- each realism wave alone (``WAVES``: wave 8, w25-w31, to the label-blind waves 14-24,
  w57-w134; wave 12, w47-w50, is set aside), against as many posts drawn
  from waves 1-24, drawn once with their own label mix and once with the wave's;
- waves 1-24 alone and all waves;
- all waves with the writer's low-confidence posts down-weighted;
- leave-one-wave-group-out: fitted on all but one of the groups below, scored on
  that one (a corpus-only measure of how well a fit carries to posts written another time, by other
  briefs).

Writes benchmarks/results/data_value.md (+ .json).
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, corpus, real_sets, scores, shipped_C, versions, wave, y_of

from afzender.backends.linear.model import LinearModel

SEED = 0
REAL = ("real-2020 all", "real-2017-2024 all", "party accounts")
WAVES = {"wave 8: realism waves": (25, 31), "wave 9: MPs' timelines": (32, 37),
         "wave 10: MPs without signposts": (38, 43), "wave 11: party accounts": (44, 46),
         "wave 13: contrastive units": (51, 56), "wave 14: label-blind timelines": (57, 60),
         "wave 15: label-blind timelines": (61, 65), "wave 16: label-blind timelines": (66, 73),
         "wave 17: label-blind timelines, everyday and 140-character era": (74, 81),
         "wave 18: label-blind timelines, corona stretches and ordinary years": (82, 89),
         "wave 19: label-blind timelines of government voices": (90, 92),
         "wave 20: label-blind timelines of party accounts": (93, 100),
         "wave 21: label-blind timelines of Kamer members, terse then long": (101, 108),
         "wave 22: label-blind timelines of government voices and personal accounts": (109, 116),
         "wave 23: label-blind timelines in the register of real posts": (117, 126),
         "wave 24: label-blind Kamer members in conversation": (127, 134)}
GROUPS = {"w1-7": (1, 7), "w8-24": (8, 24)} | {f"w{lo}-{hi}": (lo, hi) for lo, hi in WAVES.values()}


def fit(rows: list[dict], C: float, weights: np.ndarray | None = None) -> LinearModel:
    return LinearModel.fit([r["text"] for r in rows], y_of(rows), C=C, sample_weight=weights)


def like(pool: list[dict], counts: Counter, rng: random.Random) -> list[dict]:
    """Posts drawn from ``pool`` with the label counts ``counts``."""
    return [r for label, n in sorted(counts.items())
            for r in rng.sample([p for p in pool if p["label"] == label], n)]


def main() -> None:
    rows = corpus()
    fitted = [r for r in rows if r["split"] != "test"]
    sets = {"corpus test": [r for r in rows if r["split"] == "test"],
            **{k: v for k, v in real_sets().items() if k in REAL}}
    rng = random.Random(SEED)
    C = shipped_C()
    older = [r for r in fitted if wave(r) < 25]
    low = np.array([0.5 if r.get("confidence") == "low" else 1.0 for r in fitted])
    variants: dict[str, tuple[list[dict], np.ndarray | None]] = {}
    for title, (lo, hi) in WAVES.items():
        part = [r for r in fitted if lo <= wave(r) <= hi]
        if not part:
            continue
        name = f"{title} w{lo}-w{hi} ({len(part)} posts)"
        own_mix = Counter({label: round(n * len(part) / len(older))
                           for label, n in Counter(r["label"] for r in older).items()})
        wave_name = name.split(":")[0]
        variants[name] = (part, None)
        variants[f"as many from w1-24 as {wave_name}, their own label mix"] = (
            like(older, own_mix, rng), None)
        variants[f"as many from w1-24 as {wave_name}, {wave_name}'s label mix"] = (
            like(older, Counter(r["label"] for r in part), rng), None)
    variants.update({
        f"w1-24 ({len(older)} posts)": (older, None),
        f"all waves ({len(fitted)} posts, as shipped)": (fitted, None),
        "all waves, low-confidence posts at weight 0.5": (fitted, low),
    })
    results = {}
    for name, (part, weights) in variants.items():
        results[name] = {"posts": len(part), "labels": dict(Counter(r["label"] for r in part)),
                         **scores(fit(part, C, weights).predict_proba, sets)}
        print(name, {k: v for k, v in results[name].items() if isinstance(v, float)}, flush=True)
    cross_wave = {}
    for name, (lo, hi) in GROUPS.items():
        inside = [r for r in fitted if lo <= wave(r) <= hi]
        outside = [r for r in fitted if not lo <= wave(r) <= hi]
        cross_wave[name] = scores(fit(outside, C).predict_proba, {name: inside})[name]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "data_value.json").write_text(json.dumps(
        {"C": C, "results": results, "leave_one_wave_group_out": cross_wave, "versions": versions()},
        indent=2, ensure_ascii=False) + "\n")
    columns = list(sets)
    lines = ["# What each part of the corpus is worth on real posts", "",
             f"`python benchmarks/data_value.py` · {versions()['date']}. Linear models (the shipped "
             f"features and C) fitted on parts of the corpus train + dev splits. Macro-F1; for "
             "party accounts the share predicted partijpoliticus. The real sets are evaluation only.", "",
             "| fitted on | posts | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for name, row in results.items():
        lines.append(f"| {name} | {row['posts']} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |")
    lines += ["", "Leave one wave group out (fitted on the other groups, macro-F1 on the group): "
              + ", ".join(f"{k} {v:.3f}" for k, v in cross_wave.items()) + "."]
    (RESULTS / "data_value.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
