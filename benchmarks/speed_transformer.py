"""Speed of the transformer inference engine against the transformers pipeline.

    python benchmarks/speed_transformer.py [--posts 2000] [--repeats 3]

A RobBERT-base-sized encoder (12 layers, hidden 768; RANDOM weights, which is fine for speed:
the arithmetic is the same) with a WordPiece tokenizer trained on the corpus. 2,000 posts of
real-post lengths (real posts from ../shared/data when present, else corpus posts). In one
run, each system in its own subprocess (for a clean peak-memory reading):
``transformers.pipeline("text-classification")`` with its default batch size and with
``batch_size=32``, and afzender's engine in fp32, int8 (feed-forward layers fp32) and int8-all. Writes
benchmarks/results/speed_transformer.md (+ .json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, corpus, peak_rss_mb, real_sets, versions

SYSTEMS = ["pipeline (default batch size)", "pipeline (batch_size=32)", "engine fp32", "engine int8",
           "engine int8-all"]
MAX_LENGTH = 128


def posts(n: int) -> list[str]:
    sets = real_sets()
    pool = [r["text"] for rows in sets.values() for r in rows] or [r["text"] for r in corpus()]
    return (pool * (n // len(pool) + 1))[:n]


def run_system(name: str, model_dir: str, n: int, repeats: int, latency_posts: int) -> dict:
    import numpy as np
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    from afzender.backends.transformer.engine import EngineConfig, InferenceEngine

    texts = posts(n)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if name.startswith("pipeline"):
        pipe = pipeline("text-classification", model=model, tokenizer=tokenizer, device="cpu",
                        top_k=None, truncation=True, max_length=MAX_LENGTH)
        kwargs = {"batch_size": 32} if "32" in name else {}
        batch = lambda xs: pipe(xs, **kwargs)  # noqa: E731
        single = lambda x: pipe(x)  # noqa: E731
    else:
        engine = InferenceEngine(model, tokenizer, EngineConfig(
            max_length=MAX_LENGTH, precision=name.removeprefix("engine ")))
        batch = engine.logits
        single = lambda x: engine.logits([x])  # noqa: E731
    batch(texts[:16])  # warm-up
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        batch(texts)
        seconds.append(time.perf_counter() - start)
    latencies = []
    for text in texts[:latency_posts]:
        start = time.perf_counter()
        single(text)
        latencies.append(time.perf_counter() - start)
    # peak RSS is read before the exactness check below loads a second model
    result = {"posts_per_s": n / statistics.median(seconds), "seconds": seconds,
              "p50_ms": 1e3 * float(np.percentile(latencies, 50)),
              "p95_ms": 1e3 * float(np.percentile(latencies, 95)),
              "peak_rss_mb": peak_rss_mb(),
              "threads": torch.get_num_threads()}
    if name.startswith("engine"):
        reference = InferenceEngine(AutoModelForSequenceClassification.from_pretrained(model_dir).eval(),
                                    tokenizer, EngineConfig(max_length=MAX_LENGTH))
        sample = texts[:300]
        a, b = batch(sample), reference.logits(sample)
        pa = np.exp(a - a.max(1, keepdims=True))
        pa /= pa.sum(1, keepdims=True)
        pb = np.exp(b - b.max(1, keepdims=True))
        pb /= pb.sum(1, keepdims=True)
        result["label_agreement_vs_fp32"] = float((a.argmax(1) == b.argmax(1)).mean())
        # Random weights give near-ties between classes; agreement where fp32 is decided
        # (top probability at least 0.02 above the second) is what a trained model sees.
        top2 = np.sort(pb, axis=1)[:, -2:]
        decided = (top2[:, 1] - top2[:, 0]) >= 0.02
        result["decided_share"] = float(decided.mean())
        result["label_agreement_decided"] = (float((a.argmax(1) == b.argmax(1))[decided].mean())
                                             if decided.any() else None)
        result["max_abs_dp_vs_fp32"] = float(np.abs(pa - pb).max())
        one = np.vstack([reference.logits([t]) for t in sample[:100]])
        po = np.exp(one - one.max(1, keepdims=True))
        po /= po.sum(1, keepdims=True)
        result["max_abs_dp_vs_one_by_one"] = float(np.abs(pb[:100] - po).max())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency-posts", type=int, default=100)
    parser.add_argument("--system", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.system:
        print(json.dumps(run_system(args.system, args.model_dir, args.posts, args.repeats,
                                    args.latency_posts)))
        return
    from afzender.backends.transformer.tiny import make_encoder

    model_dir = Path(tempfile.mkdtemp()) / "robbert-base-sized"
    make_encoder([r["text"] for r in corpus()], model_dir, size="base", vocab_size=40000)
    results = {}
    for name in SYSTEMS:
        out = subprocess.run([sys.executable, __file__, "--system", name, "--model-dir", str(model_dir),
                              "--posts", str(args.posts), "--repeats", str(args.repeats),
                              "--latency-posts", str(args.latency_posts)],
                             capture_output=True, text=True,
                             env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        if out.returncode:
            raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        print(name, json.dumps(results[name]), flush=True)
    payload = {"command": f"python benchmarks/speed_transformer.py --posts {args.posts} "
                          f"--repeats {args.repeats}",
               "versions": versions(), "posts": args.posts, "repeats": args.repeats,
               "cpu_count": os.cpu_count(), "results": results}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed_transformer.json").write_text(json.dumps(payload, indent=2) + "\n")
    (RESULTS / "speed_transformer.md").write_text(render(payload))
    print((RESULTS / "speed_transformer.md").read_text())


def render(p: dict) -> str:
    base = p["results"][SYSTEMS[0]]
    lines = ["# Transformer inference speed (CPU)", "",
             f"Command: `{p['command']}` · {p['versions']['date']} · {p['cpu_count']} CPU cores · "
             f"torch {p['versions'].get('torch')} · transformers {p['versions'].get('transformers')}", "",
             f"Model: BERT encoder of RobBERT-base size (12 layers, hidden 768, vocab ≈40k) with "
             f"**random weights** (speed only; no download), max length {MAX_LENGTH}. "
             f"{p['posts']} real-length posts; throughput is the median of {p['repeats']} passes; "
             "latency is one post per call; peak RSS is the whole process (model included). "
             "Ratios are against the default pipeline measured in the same run.", "",
             "| system | posts/s | × default pipeline | p50 ms | p95 ms | p50 × pipeline | peak RSS MB "
             "| × pipeline RSS |",
             "|---|---|---|---|---|---|---|---|"]
    for name, r in p["results"].items():
        lines.append(f"| {name} | {r['posts_per_s']:.1f} | {r['posts_per_s'] / base['posts_per_s']:.2f} | "
                     f"{r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p50_ms'] / base['p50_ms']:.2f} | "
                     f"{r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] / base['peak_rss_mb']:.2f} |")
    lines += ["", "Exactness of the engine:", ""]
    for name in (n for n in SYSTEMS if n.startswith("engine")):
        r = p["results"][name]
        decided = r.get("label_agreement_decided")
        lines.append(f"- {name}: label agreement with fp32 {r['label_agreement_vs_fp32']:.3f} "
                     f"({decided if decided is None else f'{decided:.3f}'} on the "
                     f"{r.get('decided_share', 0):.0%} of posts where fp32's top two classes are "
                     "at least 0.02 apart; random weights make near-ties common), "
                     f"max |Δp| vs fp32 {r['max_abs_dp_vs_fp32']:.2e}, "
                     f"max |Δp| batched vs one-by-one {r['max_abs_dp_vs_one_by_one']:.2e}")
    lines += ["", "No GPU was lent to this session, so there is no GPU table.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
