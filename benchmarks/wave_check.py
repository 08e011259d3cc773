"""The keep check for a new writing wave, set in its brief before any result.

    python benchmarks/wave_check.py --waves 61-65

Trains the default linear model (``afzender.train``, C and calibration chosen on corpus dev,
as ``tools/build_model.py`` does) on data/corpus.jsonl with and without the given waves and
scores both on the corpus test posts of the other waves. A wave is kept when the model with
it scores within ``TOLERANCE`` macro-F1 of the model without it: the new writing must not make
the corpus less consistent. The difference comes with a paired bootstrap interval over
accounts. The real dev files are not read.

Writes benchmarks/results/wave_check_wFIRST-wLAST.md (+ .json).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, corpus, versions, wave, y_of

import afzender
from afzender import LABELS
from afzender.evaluation.metrics import bootstrap_macro_f1

SEED = 0
BOOTSTRAP = 1000
TOLERANCE = 0.005


def wave_range(text: str) -> tuple[int, int]:
    """``"61-65"`` or ``"61"`` as an inclusive range of wave numbers."""
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--waves takes FIRST-LAST, e.g. 61-65, got {text!r}") from None


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, labels=range(len(LABELS)), average="macro", zero_division=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waves", type=wave_range, required=True, help="FIRST-LAST wave numbers")
    args = parser.parse_args()
    low, high = args.waves
    rows = corpus()
    inside = [r for r in rows if low <= wave(r) <= high]
    if not inside:
        raise SystemExit(f"wave_check: no corpus posts in waves {low}-{high}; build the corpus first")
    outside = [r for r in rows if not low <= wave(r) <= high]
    test = [r for r in outside if r["split"] == "test"]
    texts, y = [r["text"] for r in test], y_of(test)
    predictions = {}
    for name, data in (("without", outside), ("with", rows)):
        model = afzender.train(data, seed=SEED, progress=False)
        predictions[name] = model.predict_proba(texts).argmax(1)
    scores = {name: macro_f1(y, pred) for name, pred in predictions.items()}
    difference = scores["with"] - scores["without"]
    interval = bootstrap_macro_f1(y, predictions["with"], [r["account"] for r in test], BOOTSTRAP,
                                  SEED, minus=predictions["without"])
    payload = {"waves": [low, high], "wave_posts": len(inside), "test_posts": len(test),
               "macro_f1_without": scores["without"], "macro_f1_with": scores["with"],
               "difference": difference, "difference_ci95": interval, "tolerance": TOLERANCE,
               "kept": difference >= -TOLERANCE, "versions": versions()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"wave_check_w{low}-w{high}"
    (RESULTS / f"{stem}.json").write_text(json.dumps(payload, indent=2) + "\n")
    verdict = "kept" if payload["kept"] else "not kept"
    (RESULTS / f"{stem}.md").write_text(
        f"# Keep check: waves w{low}-w{high}\n\n"
        f"`python benchmarks/wave_check.py --waves {low}-{high}` · {payload['versions']['date']}. "
        f"The default linear model trained on data/corpus.jsonl without and with the waves' "
        f"{len(inside)} posts, scored on the {len(test)} corpus test posts of the other waves. "
        f"Kept when the difference is at least -{TOLERANCE} (set in the wave's brief before any "
        "result). The real dev files are not read.\n\n"
        "| model | macro-F1 on the other waves' test posts |\n|---|---|\n"
        f"| without w{low}-w{high} | {scores['without']:.4f} |\n"
        f"| with w{low}-w{high} | {scores['with']:.4f} |\n\n"
        f"Difference {difference:+.4f} (95 % paired bootstrap over accounts {interval[0]:+.3f} to "
        f"{interval[1]:+.3f}): **{verdict}**.\n", encoding="utf-8")
    print(f"without {scores['without']:.4f} with {scores['with']:.4f} difference {difference:+.4f} "
          f"{interval} -> {verdict}")


if __name__ == "__main__":
    main()
