"""int8 against fp32 for a fine-tuned transformer folder: labels kept and posts/s.

    python benchmarks/int8.py MODEL_DIR [--posts 512] [--repeats 3]

In one run the folder is served by the engine (:mod:`afzender.backends.transformer.engine`)
in fp32, in ``int8`` (dynamic int8 of every Linear layer but the feed-forward ones) and in
``int8-all`` (every Linear layer). Agreement: the share of labels equal to fp32's on the
corpus test split and on every real set in ../shared/data (evaluation only). Speed:
``--posts`` corpus test posts, the precisions interleaved per repeat, the median posts/s.
Writes benchmarks/results/int8.md (+ .json).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, agreement_sets, versions

import afzender
from afzender.backends.transformer.engine import EngineConfig, InferenceEngine

PRECISIONS = ("fp32", "int8", "int8-all")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path,
                        help="a transformer model folder (afzender train --kind transformer)")
    parser.add_argument("--posts", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    backend = afzender.load(args.model).backend
    engines = {p: InferenceEngine(copy.deepcopy(backend.model), backend.tokenizer, EngineConfig(
        max_length=backend.config.get("max_length", 128), precision=p), device="cpu") for p in PRECISIONS}
    sets = agreement_sets()
    sample = sets["corpus test split"][:args.posts]
    for engine in engines.values():
        engine.logits(sample[:16])                        # warm up
    times: dict[str, list[float]] = {p: [] for p in PRECISIONS}
    for _ in range(args.repeats):
        for precision, engine in engines.items():
            start = time.perf_counter()
            engine.logits(sample)
            times[precision].append(time.perf_counter() - start)
    speed = {p: len(sample) / statistics.median(times[p]) for p in PRECISIONS}
    agreement: dict[str, dict[str, float | int]] = {}
    for name, texts in sets.items():
        labels = {p: engine.logits(texts).argmax(1) for p, engine in engines.items()}
        agreement[name] = {"n": len(texts), **{p: round(float(np.mean(labels[p] == labels["fp32"])), 4)
                                               for p in PRECISIONS[1:]}}
    total = sum(int(a["n"]) for a in agreement.values())
    overall = {p: round(sum(float(a[p]) * int(a["n"]) for a in agreement.values()) / total, 4)
               for p in PRECISIONS[1:]}
    result = {"model": str(args.model), "posts": len(sample), "repeats": args.repeats,
              "threads": torch.get_num_threads(), "posts_per_s": {k: round(v, 1) for k, v in speed.items()},
              "agreement_with_fp32": agreement, "agreement_all_sets": overall, "versions": versions()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "int8.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# int8 against fp32 (fine-tuned e5-small)", "",
             f"`python benchmarks/int8.py {args.model} --posts {args.posts} --repeats {args.repeats}`; "
             f"{torch.get_num_threads()} threads, {result['versions']['date']}. One folder served in "
             "three precisions; medians over the repeats, precisions interleaved; ratios from this run. "
             "`int8` quantises every Linear layer but the feed-forward ones; `int8-all` every one.", "",
             "| precision | posts/s | × fp32 | labels equal to fp32 (all sets) |", "|---|---|---|---|"]
    for p in PRECISIONS:
        kept = "1 (reference)" if p == "fp32" else f"{overall[p]:.4f} ({total} posts)"
        lines.append(f"| {p} | {speed[p]:.1f} | {speed[p] / speed['fp32']:.2f} | {kept} |")
    lines += ["", "| set | posts | " + " | ".join(PRECISIONS[1:]) + " |",
              "|---|---|" + "---|" * (len(PRECISIONS) - 1)]
    for name, a in agreement.items():
        lines.append(f"| {name} | {a['n']} | "
                     + " | ".join(f"{float(a[p]):.4f}" for p in PRECISIONS[1:]) + " |")
    (RESULTS / "int8.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
