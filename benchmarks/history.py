"""Real-dev accuracy as the corpus grew: every committed run of the accuracy benchmark.

    python benchmarks/history.py

Reads ``benchmarks/results/accuracy.json`` as committed at each commit that changed it
(``git log``; a clone with its history is needed) and tabulates, per run, the posts the
systems were fitted on and their macro-F1 on the real dev files, with the 95 % interval. A
run that repeats the previous corpus size replaces it (a rerun of the same corpus). The
scikit-learn TF-IDF baseline changed only with the data, so its line shows what the corpus
alone did; the afzender rows also carry the library's own changes. The corpus test split
grew with the corpus, so its figures are not comparable across runs and are left out.
Writes benchmarks/results/history.md (+ .json, + history.png where matplotlib is installed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, importable

SOURCE = "benchmarks/results/accuracy.json"
#: A line per system; a run names the linear model "afzender linear" or, before the static
#: default, "afzender default (linear)".
SYSTEMS = {"scikit-learn TF-IDF + LR": ("scikit-learn TF-IDF + LR",),
           "afzender linear": ("afzender linear", "afzender default (linear)"),
           "afzender default (static)": ("afzender default (static",),
           "afzender e5 ensemble": ("afzender e5 ensemble",)}
SETS = ("real-2020 all", "real-2017-2024 all")


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def runs() -> list[dict]:
    """One entry per corpus size, oldest first: the commit, its date and the figures."""
    by_size: dict[int, dict] = {}
    for line in reversed(git("log", "--format=%H %cs", "--", SOURCE).splitlines()):
        commit, date = line.split()
        payload = json.loads(git("show", f"{commit}:{SOURCE}"))
        figures = {}
        for system, names in SYSTEMS.items():
            row = next((v for k, v in payload["results"].items() if k.startswith(names)), None)
            if row:
                figures[system] = {s: {"macro_f1": row[s]["macro_f1"], "ci95": row[s]["macro_f1_ci95"]}
                                   for s in SETS if s in row}
        by_size[payload["n_train"]] = {"commit": commit[:7], "date": date,
                                       "n_train": payload["n_train"], "figures": figures}
    return list(by_size.values())


def cell(figures: dict, system: str, name: str) -> str:
    value = figures.get(system, {}).get(name)
    if not value:
        return "–"
    low, high = value["ci95"]
    return f"{value['macro_f1']:.3f} ({low:.2f}–{high:.2f})"


def plot(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(SETS), figsize=(10, 4), sharey=True)
    for ax, name in zip(axes, SETS):
        for system in SYSTEMS:
            points = [(h["n_train"], h["figures"][system][name]["macro_f1"]) for h in history
                      if name in h["figures"].get(system, {})]
            if points:
                ax.plot(*zip(*points), marker="o", label=system)
        ax.set_xscale("log")
        ax.set_title(f"{name} (macro-F1)")
        ax.set_xlabel("posts fitted on (corpus train + dev)")
    axes[0].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main() -> None:
    history = runs()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "history.json").write_text(json.dumps(history, indent=2) + "\n")
    header = "| commit | date | posts fitted on | " + " | ".join(
        f"{system}: {name}" for system in SYSTEMS for name in SETS) + " |"
    lines = ["# Real-dev accuracy as the corpus grew", "",
             "`python benchmarks/history.py`: every committed run of `benchmarks/accuracy.py` "
             "(one per corpus size, the last if a size was run twice). Macro-F1 on the real dev "
             "files with the 95 % bootstrap interval over accounts. The scikit-learn baseline "
             "changed only with the data; the afzender rows also carry the library's changes "
             "(features, calibration, the ensemble's mixture rule); the static model became the "
             "default at 14,344 posts. Real dev is a check, not a target; but corpus waves 2–7 "
             "(in every row) were chosen by reading real-2020-dev's errors, so that file "
             "flatters every row.", "",
             header, "|---|---|---|" + "---|" * (len(SYSTEMS) * len(SETS))]
    for h in history:
        lines.append(f"| {h['commit']} | {h['date']} | {h['n_train']} | " + " | ".join(
            cell(h["figures"], system, name) for system in SYSTEMS for name in SETS) + " |")
    if importable("matplotlib"):
        plot(history, RESULTS / "history.png")
        lines += ["", "![real-dev macro-F1 against the posts fitted on](history.png)"]
    (RESULTS / "history.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
