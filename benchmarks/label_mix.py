"""Label mix: estimating it without labels (EM) and classifying under it.

    python benchmarks/label_mix.py

An account's posts rarely have the corpus's label mix (a quarter minister-in-functie):
an MP's timeline has few minister posts, a party account almost none. Three measures:

1. Leave one wave group out on the corpus: a linear model (the shipped C) fitted on the
   other groups estimates the held-out group's mix, by counting its predicted labels and
   by EM (``Classifier.estimate_mix``), and classifies the group with and without the
   estimated mix (``Classifier.with_mix``). The corpus decides whether this helps.
2. Sets of posts drawn from the corpus test split with random label mixes, as an audited
   account might have: how the estimate's error and the macro-F1 gain depend on the number
   of posts.
3. The real dev files (evaluation only, a check): the shipped default model, each file
   taken as one set.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, corpus, real_sets, shipped_C, versions, wave, y_of
from data_value import GROUPS

import afzender
from afzender import LABELS
from afzender.evaluation.metrics import compute_metrics
from afzender.label_mix import estimate_mix, shift_probabilities

SEED = 0
SIZES = (25, 50, 100, 200, 400)
DRAWS = 200


def macro_f1(y: np.ndarray, proba: np.ndarray) -> float:
    return compute_metrics([LABELS[i] for i in y], proba, bootstrap=0)["macro_f1"]


def measure(y: np.ndarray, proba: np.ndarray, trained: np.ndarray) -> dict:
    """True, counted and EM mixes, and macro-F1 without and with the EM mix."""
    em, iterations = estimate_mix(proba, trained)
    true = np.bincount(y, minlength=len(LABELS)) / len(y)
    counted = np.bincount(proba.argmax(1), minlength=len(LABELS)) / len(y)
    return {"n": len(y), "true": true.tolist(), "counted": counted.tolist(), "em": em.tolist(),
            "em_iterations": iterations,
            "counted_error": float(np.abs(counted - true).sum() / 2),
            "em_error": float(np.abs(em - true).sum() / 2),
            "macro_f1": macro_f1(y, proba),
            "macro_f1_em": macro_f1(y, shift_probabilities(proba, trained, em)),
            "share_partij": float((proba.argmax(1) == 1).mean()),
            "share_partij_em": float((shift_probabilities(proba, trained, em).argmax(1) == 1).mean())}


def trained_mix(model: afzender.Classifier) -> np.ndarray:
    return np.array([model.trained_mix[label] for label in LABELS])


def leave_one_group_out(rows: list[dict], C: float) -> dict[str, dict]:
    out = {}
    for name, (lo, hi) in GROUPS.items():
        inside = [r for r in rows if lo <= wave(r) <= hi]
        outside = [r for r in rows if not lo <= wave(r) <= hi]
        model = afzender.train(outside, model="linear", C=C, seed=SEED, progress=False)
        out[name] = measure(y_of(inside), model.predict_proba([r["text"] for r in inside]),
                            trained_mix(model))
        print(name, {k: round(v, 3) for k, v in out[name].items() if isinstance(v, float)}, flush=True)
    return out


def drawn_sets(model: afzender.Classifier, test: list[dict]) -> dict[int, dict]:
    """Sets of ``n`` test posts with a Dirichlet(1, 1, 1) label mix, ``DRAWS`` per size."""
    rng = np.random.default_rng(SEED)
    y, proba, trained = y_of(test), model.predict_proba([r["text"] for r in test]), trained_mix(model)
    by_label = [np.flatnonzero(y == k) for k in range(len(LABELS))]
    out = {}
    for n in SIZES:
        runs = []
        for _ in range(DRAWS):
            counts = rng.multinomial(n, rng.dirichlet(np.ones(len(LABELS))))
            idx = np.concatenate([rng.choice(pool, c) for pool, c in zip(by_label, counts)])
            runs.append(measure(y[idx], proba[idx], trained))
        out[n] = {key: float(np.median([r[key] for r in runs]))
                  for key in ("counted_error", "em_error", "macro_f1", "macro_f1_em")}
        out[n]["em_better_f1_share"] = float(np.mean([r["macro_f1_em"] > r["macro_f1"] for r in runs]))
        out[n]["em_worse_f1_share"] = float(np.mean([r["macro_f1_em"] < r["macro_f1"] for r in runs]))
        print(n, {k: round(v, 3) for k, v in out[n].items()}, flush=True)
    return out


def main() -> None:
    rows = corpus()
    fitted = [{k: v for k, v in r.items() if k != "split"} for r in rows if r.get("split") != "test"]
    test = [r for r in rows if r.get("split") == "test"]
    C = shipped_C()
    cross = leave_one_group_out(fitted, C)
    model = afzender.load()
    drawn = drawn_sets(model, test)
    real = {}
    for name, posts in real_sets().items():
        if name.endswith(" high"):
            continue   # a subset chosen by the labels is not a set an estimate would see
        real[name] = measure(y_of(posts), model.predict_proba([r["text"] for r in posts]),
                             trained_mix(model))
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"C": C, "leave_one_group_out": cross, "drawn_sets": drawn, "real": real,
               "versions": versions()}
    (RESULTS / "label_mix.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "label_mix.md").write_text(render(payload), encoding="utf-8")


def _mix(shares: list[float]) -> str:
    return " / ".join(f"{100 * s:.0f}" for s in shares)


def render(p: dict) -> str:
    lines = ["# Label mix: estimated without labels, and classifying under it", "",
             f"`python benchmarks/label_mix.py` · {p['versions']['date']}. Mixes are percentages "
             "minister-in-functie / partijpoliticus / privépersoon; an estimate's error is the total "
             "variation distance to the true mix (half the summed absolute differences). \"Counted\" "
             "counts the predicted labels; \"EM\" is `Classifier.estimate_mix` (Saerens et al., 2002). "
             "Macro-F1 \"with EM\" classifies under the estimated mix (`Classifier.with_mix`); for "
             "party accounts the share predicted partijpoliticus.", "",
             f"## Leave one wave group out (corpus; a linear model at C = {p['C']} fitted on the "
             "other groups)",
             "", "| held-out group | posts | true mix | counted | EM | error counted | error EM "
             "| macro-F1 | with EM |", "|---|---|---|---|---|---|---|---|---|"]
    for name, m in p["leave_one_group_out"].items():
        lines.append(f"| {name} | {m['n']} | {_mix(m['true'])} | {_mix(m['counted'])} | {_mix(m['em'])} | "
                     f"{m['counted_error']:.3f} | {m['em_error']:.3f} | {m['macro_f1']:.3f} | "
                     f"{m['macro_f1_em']:.3f} |")
    groups = list(p["leave_one_group_out"].values())
    lines += ["", f"Mean over the groups: error {np.mean([m['counted_error'] for m in groups]):.3f} counted, "
              f"{np.mean([m['em_error'] for m in groups]):.3f} EM; macro-F1 "
              f"{np.mean([m['macro_f1'] for m in groups]):.3f} without, "
              f"{np.mean([m['macro_f1_em'] for m in groups]):.3f} with the EM mix.", "",
              f"## Sets drawn from the corpus test split (the shipped model; {DRAWS} sets per size, "
              "each with a label mix drawn uniformly; medians)", "",
              "| posts per set | error counted | error EM | macro-F1 | with EM | sets better with EM "
              "| sets worse |", "|---|---|---|---|---|---|---|"]
    for n, m in p["drawn_sets"].items():
        lines.append(f"| {n} | {m['counted_error']:.3f} | {m['em_error']:.3f} | {m['macro_f1']:.3f} | "
                     f"{m['macro_f1_em']:.3f} | {100 * m['em_better_f1_share']:.0f} % | "
                     f"{100 * m['em_worse_f1_share']:.0f} % |")
    lines += ["", "## Real dev files (evaluation only; the shipped default model, each file one set)", "",
              "| file | posts | true mix | counted | EM | error counted | error EM | macro-F1 or "
              "share partij | with EM |", "|---|---|---|---|---|---|---|---|---|"]
    for name, m in p["real"].items():
        party = name == "party accounts"
        before, after = ((m["share_partij"], m["share_partij_em"]) if party
                         else (m["macro_f1"], m["macro_f1_em"]))
        lines.append(f"| {name} | {m['n']} | {_mix(m['true'])} | {_mix(m['counted'])} | {_mix(m['em'])} | "
                     f"{m['counted_error']:.3f} | {m['em_error']:.3f} | {before:.3f} | {after:.3f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
