"""Speed of the shipped default model (the static model) and the linear model alone against
scikit-learn and fastText peers.

    python benchmarks/speed_linear.py [--repeats 7]

10,000 posts of real-post lengths (real posts from ../shared/data when present, cycled;
else corpus posts). Peers are trained on the corpus train + dev splits in this run. Measured
in one run, medians over repeats: batch throughput, single-post latency (p50/p95), peak
memory (each system in its own subprocess), cold start of `import afzender; predict('x')`,
streaming 1,000,000 posts through `predict_iter` (peak RSS), and each system's macro-F1 on
real-2020-dev. The static model remembers each word once segmented, so its first pass
over the list is also reported (the other passes find every word known). The linear model
alone is trained here on the corpus train + dev splits at the shipped model's C (what
``afzender train --kind linear`` makes). Writes benchmarks/results/speed_linear.md (+ .json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, FastText, SklearnTfidf, corpus, peak_rss_mb, real_sets, shipped_C, versions, y_of

N_POSTS = 10_000


def posts(n: int = N_POSTS) -> list[str]:
    pool = [r["text"] for rows in real_sets().values() for r in rows] or [r["text"] for r in corpus()]
    return (pool * (n // len(pool) + 1))[:n]


def build(name: str):
    """A fitted system with a predict_proba(list[str])."""
    if name.startswith("afzender"):
        if "numpy" in name:
            os.environ["AFZENDER_NO_FASTCORE"] = "1"
        import afzender

        if "linear" not in name:
            return afzender.load()
        train = [r for r in corpus() if r["split"] != "test"]
        return afzender.train(train, model="linear", C=shipped_C(), progress=False)
    rows = [r for r in corpus() if r["split"] != "test"]
    system = SklearnTfidf() if name.startswith("scikit") else FastText()
    return system.fit([r["text"] for r in rows], y_of(rows))


def single(system, name: str):
    if name.startswith("afzender"):
        return lambda text: system.predict_proba(text)
    if name.startswith("fastText"):
        return lambda text: system.model.predict(FastText.clean(text), k=3)
    return lambda text: system.predict_proba([text])


def measure(name: str, repeats: int) -> dict:
    texts = posts()
    system = build(name)
    system.predict_proba(["opwarmen: laden en eerste aanroep"])
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        system.predict_proba(texts)
        seconds.append(time.perf_counter() - start)
    one = single(system, name)
    latencies = []
    for text in texts[:3000]:
        start = time.perf_counter()
        one(text)
        latencies.append(time.perf_counter() - start)
    result = {"posts_per_s": len(texts) / statistics.median(seconds),
              "first_pass_posts_per_s": len(texts) / seconds[0],
              "p50_ms": 1e3 * float(np.percentile(latencies, 50)),
              "p95_ms": 1e3 * float(np.percentile(latencies, 95)),
              "peak_rss_mb": peak_rss_mb()}
    real = real_sets().get("real-2020 all")
    if real:
        from afzender.evaluation.metrics import compute_metrics

        metrics = compute_metrics([r["label"] for r in real],
                                  system.predict_proba([r["text"] for r in real]), bootstrap=0)
        result["real_2020_macro_f1"] = metrics["macro_f1"]
    return result


def cold_start(repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import afzender; afzender.predict('x')"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stream_million() -> dict:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as handle:
        json.dump(posts(2000), handle)
    code = ("import json, time, afzender\n"
            "m = afzender.load()\n"
            f"pool = json.load(open({handle.name!r}, encoding='utf-8'))\n"
            "gen = (pool[i % len(pool)] for i in range(1_000_000))\n"
            "t = time.perf_counter(); n = sum(1 for _ in m.predict_iter(gen, batch_size=4096))\n"
            "status = open('/proc/self/status').read()\n"
            "print(n, time.perf_counter() - t, int(status.split('VmHWM:')[1].split()[0]) / 1024)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    n, seconds, rss = out.stdout.split()
    return {"posts": int(n), "seconds": float(seconds), "peak_rss_mb": float(rss)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--system", help=argparse.SUPPRESS)
    parser.add_argument("--render", action="store_true", help="only rewrite the .md from the .json")
    args = parser.parse_args()
    if args.render:
        payload = json.loads((RESULTS / "speed_linear.json").read_text())
        (RESULTS / "speed_linear.md").write_text(render(payload))
        return
    if args.system:
        print(json.dumps(measure(args.system, args.repeats)))
        return
    systems = ["afzender (shipped model)", "afzender linear (C core)",
               "afzender linear (numpy path, no C core)", "scikit-learn TF-IDF + LR"]
    if FastText.available():
        systems.append("fastText supervised")
    results = {}
    for name in systems:
        out = subprocess.run([sys.executable, __file__, "--system", name, "--repeats", str(args.repeats)],
                             capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        print(name, results[name], flush=True)
    payload = {"command": f"python benchmarks/speed_linear.py --repeats {args.repeats}",
               "versions": versions(), "cpu_count": os.cpu_count(), "posts": N_POSTS,
               "repeats": args.repeats, "results": results, "cold_start_s": cold_start(7),
               "stream_1m": stream_million()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "speed_linear.json").write_text(json.dumps(payload, indent=2) + "\n")
    (RESULTS / "speed_linear.md").write_text(render(payload))
    print((RESULTS / "speed_linear.md").read_text())


def render(p: dict) -> str:
    r = p["results"]
    ours = r["afzender (shipped model)"]
    peers = [n for n in r if not n.startswith("afzender (shipped")]
    lines = ["# Speed: the shipped default model and the linear model", "",
             f"Command: `{p['command']}` · {p['versions']['date']} · {p['cpu_count']} CPU cores · "
             f"Python {p['versions']['python']}", "",
             f"{p['posts']:,} posts of real-post lengths; throughput is the median of {p['repeats']} "
             "passes over the list; latency is one post per call over 3,000 posts; peak RSS is each "
             "system's own process after training/loading and predicting. Peers are trained on the "
             "corpus in the same run. Ratios compare afzender with each peer measured in this run.", "",
             "| system | posts/s | first pass posts/s | afzender × | p50 ms | p95 ms | peak RSS MB "
             "| macro-F1 real-2020 |",
             "|---|---|---|---|---|---|---|---|"]
    for name, m in r.items():
        ratio = "–" if name == "afzender (shipped model)" else f"{ours['posts_per_s'] / m['posts_per_s']:.2f}"
        first = f"{m['first_pass_posts_per_s']:,.0f}" if "first_pass_posts_per_s" in m else "–"
        lines.append(f"| {name} | {m['posts_per_s']:,.0f} | {first} | {ratio} | {m['p50_ms']:.3f} | "
                     f"{m['p95_ms']:.3f} | {m['peak_rss_mb']:.0f} | {m.get('real_2020_macro_f1', '–')} |")
    s = p["stream_1m"]
    lines += ["", f"- Cold start (`python -c \"import afzender; afzender.predict('x')\"`, median of 7): "
                  f"**{p['cold_start_s']:.2f} s**.",
              f"- Streaming {s['posts']:,} posts through `predict_iter` (batches of 4,096): "
              f"{s['seconds']:.1f} s ({s['posts'] / s['seconds']:,.0f} posts/s), peak RSS "
              f"**{s['peak_rss_mb']:.0f} MB**.", ""]
    for peer in peers:
        lines.append(f"- afzender vs {peer}: {ours['posts_per_s'] / r[peer]['posts_per_s']:.2f}× the "
                     f"throughput; p50 latency {ours['p50_ms']:.3f} ms against {r[peer]['p50_ms']:.3f} ms "
                     f"(peer / afzender = {r[peer]['p50_ms'] / ours['p50_ms']:.2f}).")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
