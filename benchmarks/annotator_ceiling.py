"""How far the guide, read the way this project labels its corpus, agrees with the real
posts' own labels: an annotator ceiling for models trained on the corpus.

    python benchmarks/annotator_ceiling.py --labels DIR

The corpus is labelled by writers and a blind second pass reading ``../shared/labelling-guide.md``
and ``data/CODEBOOK.md``. Here an annotator of that same kind labelled the real dev posts
blind (text alone, shuffled, without their labels, accounts or dates), and this script
scores those labels as if they were a model's predictions: macro-F1 with a bootstrap
interval, per-class F1, agreement and Cohen's kappa against the real labels, and the same
for the shipped default model, so the two stand side by side. A model trained on the
corpus learns the corpus's reading of the guide; where that reading and the real
annotators' part ways, no model trained on the corpus can be expected to follow the real
labels.

``DIR`` holds, per part, ``in-PART.jsonl`` (``n``, ``text``: what the annotator saw),
``map-PART.json`` (``n`` -> real post id) and ``out-PART.jsonl`` (``n``, ``label``,
``sure``). Those files stay outside the repository, since they follow the real posts one by
one; only the aggregate figures below are committed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, SHARED, read_jsonl, versions

import afzender
from afzender import LABELS
from afzender.evaluation.metrics import compute_metrics

FILES = {"real-2020-dev": ("r2020",), "real-2017-2024-dev": ("r1724",),
         "real-party-accounts-dev": ("partyA", "partyB")}
SHORT = {"minister-in-functie": "minister", "partijpoliticus": "partij", "privépersoon": "privé"}


def annotations(folder: Path, parts: tuple[str, ...]) -> dict[str, dict]:
    """Real post id -> the annotator's line, checked to cover every post shown exactly once."""
    found: dict[str, dict] = {}
    for part in parts:
        shown = read_jsonl(folder / f"in-{part}.jsonl")
        ids = json.loads((folder / f"map-{part}.json").read_text(encoding="utf-8"))
        given = read_jsonl(folder / f"out-{part}.jsonl")
        numbers = [row["n"] for row in given]
        if sorted(numbers) != sorted(row["n"] for row in shown) or len(set(numbers)) != len(numbers):
            raise SystemExit(f"{part}: the annotator's lines do not cover the {len(shown)} posts "
                             "exactly once")
        for row in given:
            if row["label"] not in LABELS:
                raise SystemExit(f"{part}: line n={row['n']} has label {row['label']!r}")
            found[ids[str(row["n"])]] = row
    return found


def one_hot(labels: list[str]) -> np.ndarray:
    return np.eye(len(LABELS))[[LABELS.index(label) for label in labels]]


def kappa(a: list[str], b: list[str]) -> float:
    observed = np.mean([x == y for x, y in zip(a, b)])
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[label] * cb[label] for label in LABELS) / len(a) ** 2
    return float((observed - expected) / (1 - expected)) if expected < 1 else float("nan")


def score(truth: list[str], predicted: list[str]) -> dict:
    metrics = compute_metrics(truth, one_hot(predicted), bootstrap=1000, seed=0)
    return {"n": len(truth), "macro_f1": metrics["macro_f1"], "ci95": metrics["macro_f1_ci95"],
            "per_class_f1": metrics["per_class_f1"], "agreement": metrics["accuracy"],
            "kappa": kappa(truth, predicted), "confusion": metrics["confusion_matrix"],
            "share_predicted": metrics["share_predicted"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True, help="the annotation folder (see above)")
    args = parser.parse_args()
    model = afzender.load()
    results: dict[str, dict] = {}
    for name, parts in FILES.items():
        rows = read_jsonl(SHARED / f"{name}.jsonl")
        given = annotations(args.labels, parts)
        if set(given) != {r["id"] for r in rows}:
            raise SystemExit(f"{name}: the annotations do not cover the file's posts")
        truth = [r["label"] for r in rows]
        annotator = [given[r["id"]]["label"] for r in rows]
        shipped = [LABELS[i] for i in model.predict_proba([r["text"] for r in rows]).argmax(1)]
        subsets = {"all": list(range(len(rows)))}
        if name != "real-party-accounts-dev":
            for level in ("high", "mixed", "low"):
                subsets[f"confidence {level}"] = [i for i, r in enumerate(rows)
                                                  if r.get("confidence") == level]
        subsets["annotator sure"] = [i for i in range(len(rows)) if given[rows[i]["id"]]["sure"]]
        subsets["annotator unsure"] = [i for i in range(len(rows)) if not given[rows[i]["id"]]["sure"]]
        results[name] = {}
        for subset, idx in subsets.items():
            if not idx:
                continue
            real, read, predicted = ([labels[i] for i in idx] for labels in (truth, annotator, shipped))
            results[name][subset] = {"annotator": score(real, read), "default model": score(real, predicted),
                                     "model vs annotator": score(read, predicted)}
        print(name, {k: round(v["annotator"]["macro_f1"], 3) for k, v in results[name].items()},
              flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "annotator_ceiling.json").write_text(json.dumps(
        {"results": results, "versions": versions()}, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "annotator_ceiling.md").write_text(render(results), encoding="utf-8")


def render(results: dict) -> str:
    lines = ["# Annotator ceiling: the corpus's reading of the guide on real posts", "",
             f"`python benchmarks/annotator_ceiling.py --labels DIR` · {versions()['date']}. An "
             "annotator of the kind that labels the corpus (the writers' blind second pass: the guide "
             "and the codebook, the text alone) labelled every real dev post blind, shuffled, without "
             "its label, account or date. Its labels are scored here like a model's predictions "
             "against the real labels, beside the shipped default model. The labels stay outside the "
             "repository; only these aggregates are kept.", "",
             "For the two annotated files, macro-F1 (95 % bootstrap interval), agreement and Cohen's "
             "kappa against the real labels. For the party accounts, whose label is the sender, the "
             "share labelled or predicted partijpoliticus.", "",
             "| file | posts | who | macro-F1 | agreement | kappa "
             "| per-class F1 (minister / partij / privé) |",
             "|---|---|---|---|---|---|---|"]
    for name, subsets in results.items():
        for subset, by_who in subsets.items():
            for who in ("annotator", "default model", "model vs annotator"):
                s = by_who[who]
                if name == "real-party-accounts-dev":
                    value = f"share partij {s['share_predicted']['partijpoliticus']:.3f}" \
                        if who != "model vs annotator" else f"{s['macro_f1']:.3f}"
                else:
                    value = f"{s['macro_f1']:.3f} ({s['ci95'][0]:.2f}–{s['ci95'][1]:.2f})"
                per_class = " / ".join(f"{s['per_class_f1'][label]:.2f}" for label in LABELS)
                lines.append(f"| {name} {subset} | {s['n']} | {who} | {value} | {s['agreement']:.3f} | "
                             f"{s['kappa']:.2f} | {per_class} |")
    lines += ["", "\"model vs annotator\" scores the default model against the annotator's labels "
              "instead of the real ones.", "", "Confusion of the annotator against the real labels "
              "(rows: real label, columns: annotator's label; minister / partij / privé):", ""]
    for name, subsets in results.items():
        matrix = subsets["all"]["annotator"]["confusion"]
        lines.append(f"- {name}: " + "; ".join(
            f"{SHORT[LABELS[i]]} → " + " / ".join(str(v) for v in row) for i, row in enumerate(matrix)))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
