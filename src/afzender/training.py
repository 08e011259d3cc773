"""``train``: from labelled posts in any format to a fitted, calibrated :class:`Classifier`."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import DataError, require_extra
from .io import read_table
from .labels import label_indices, normalize_labels
from .splits import dataset_dict_rows, plan_split, rows_text as _rows_text

MIN_EXAMPLES = 6
C_GRID = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)


class DataWarning(UserWarning):
    """Training data has a problem that does not stop training (the rows are named)."""


@dataclass
class LabelledData:
    """Validated labelled posts with the row each came from."""

    texts: list[str]
    labels: list[str]
    rows: list[str]
    columns: dict[str, list[Any]] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    n_rows: int = 0

    def subset(self, keep: np.ndarray) -> "LabelledData":
        pick = lambda values: [values[i] for i in keep]  # noqa: E731
        return LabelledData(pick(self.texts), pick(self.labels), pick(self.rows),
                            {k: pick(v) for k, v in self.columns.items()}, self.excluded, len(keep))

    @property
    def y(self) -> np.ndarray:
        return np.array(label_indices(self.labels))

    def sha256(self) -> str:
        payload = json.dumps(list(zip(self.texts, self.labels)), ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def read_labelled(data: Any, *, text_column: str = "text", label_column: str = "label",
                  optional: tuple[str, ...] = ("id", "account", "split")) -> LabelledData:
    """Read and validate labelled posts; see :func:`afzender.train` for the rules.

    Raises
    ------
    DataError
        Missing columns, unknown labels, non-text values (each with its row).
    """
    table = read_table(data, [text_column, label_column], optional=optional)
    rows = [str(r) for r in table["_row"]]
    labels = normalize_labels(table[label_column], rows)
    texts_in = table[text_column]
    bad = [row for row, text in zip(rows, texts_in) if not isinstance(text, str)]
    if bad:
        raise DataError(f"column {text_column!r} must hold text; not text at {_rows_text(bad)}")
    keep, empty = [], []
    for index, text in enumerate(texts_in):
        (keep if text.strip() else empty).append(index)
    extra = {name: table[name] for name in optional if name in table}
    result = LabelledData(list(texts_in), labels, rows, extra, n_rows=len(rows))
    if empty:
        warnings.warn(f"{len(empty)} empty post(s) not used for training: "
                      f"{_rows_text([rows[i] for i in empty])}", DataWarning, stacklevel=3)
        excluded = {"empty text": [rows[i] for i in empty]}
        result = result.subset(np.array(keep, dtype=int))
        result.excluded, result.n_rows = excluded, len(rows)
    _warn_duplicates(result)
    return result


def _warn_duplicates(data: LabelledData) -> None:
    ids = data.columns.get("id")
    if ids:
        seen: dict[Any, list[str]] = defaultdict(list)
        for value, row in zip(ids, data.rows):
            if value is not None:
                seen[value].append(row)
        dup = {k: v for k, v in seen.items() if len(v) > 1}
        if dup:
            sample = "; ".join(f"{k!r} at {_rows_text(v, 3)}" for k, v in list(dup.items())[:5])
            warnings.warn(f"{len(dup)} duplicate id(s): {sample}", DataWarning, stacklevel=4)
    by_text: dict[str, set[str]] = defaultdict(set)
    where: dict[str, list[str]] = defaultdict(list)
    for text, label, row in zip(data.texts, data.labels, data.rows):
        key = " ".join(text.split()).casefold()
        by_text[key].add(label)
        where[key].append(row)
    conflicts = [key for key, labels in by_text.items() if len(labels) > 1]
    if conflicts:
        sample = "; ".join(_rows_text(where[k], 3) for k in conflicts[:5])
        warnings.warn(f"{len(conflicts)} text(s) occur with different labels (kept): {sample}",
                      DataWarning, stacklevel=4)


def check_trainable(data: LabelledData) -> None:
    counts = Counter(data.labels)
    if len(data.texts) < MIN_EXAMPLES:
        raise DataError(f"too few examples to train: {len(data.texts)} usable posts, "
                        f"need at least {MIN_EXAMPLES}")
    if len(counts) < 2:
        raise DataError(f"all usable posts have the label {next(iter(counts))!r}; "
                        "training needs at least two labels")


def log_loss(logits: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood of ``y`` under ``softmax(logits)``."""
    from .linear import log_softmax

    return float(-log_softmax(logits)[np.arange(len(y)), y].mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises the log loss of ``softmax(logits / T)`` on ``y``."""
    from scipy.optimize import minimize_scalar

    result = minimize_scalar(lambda log_t: log_loss(logits / np.exp(log_t), y), bounds=(-3, 3),
                             method="bounded")
    return float(np.exp(result.x))


@dataclass
class LinearSelection:
    """What the held-out dev part decided for a linear model."""

    probe: Any                 # LinearModel fitted on the train part, temperature fitted on dev
    train_idx: np.ndarray
    dev_idx: np.ndarray
    info: dict[str, Any]


def select_linear(data: LabelledData, *, seed: int = 0, C: float | None = None,
                  bits: int | None = None, progress: bool = True,
                  split: tuple[np.ndarray, np.ndarray] | None = None) -> LinearSelection:
    """Fit on the train part, choose C on the dev part (one-standard-error rule, see
    :func:`one_standard_error`) and calibrate the temperature there.

    ``split`` is ``(train, dev)`` row indices into ``data``; by default they come from
    :func:`afzender.splits.plan_split`.
    """
    from sklearn.metrics import f1_score
    from tqdm.auto import tqdm

    from .features import DEFAULT_BITS
    from .linear import BITS_RANGE, LinearModel

    bits = bits or DEFAULT_BITS
    if isinstance(bits, bool) or not isinstance(bits, int) or not BITS_RANGE[0] <= bits <= BITS_RANGE[1]:
        raise ValueError(f"bits must be an integer in {BITS_RANGE[0]}..{BITS_RANGE[1]} (a model "
                         f"file may not declare more), got {bits!r}")
    if split is None:
        planned = plan_split(data.rows, data.columns, seed)
        split = (planned.train, planned.dev)
    train_idx, dev_idx = split
    y = data.y
    grid = sorted((C,) if C else C_GRID)
    dev_texts = [data.texts[i] for i in dev_idx]
    models, scores = {}, {}
    for c in tqdm(grid, desc="fitting (C grid)", unit="fit", disable=not progress or len(grid) == 1):
        models[c] = LinearModel.fit([data.texts[i] for i in train_idx], y[train_idx], C=c, bits=bits)
        if len(dev_idx) == 0:
            break
        scores[c] = f1_score(y[dev_idx], models[c].logits(dev_texts).argmax(1), average="macro")
    chosen, rule = one_standard_error(scores, len(dev_idx)) if scores and not C else (grid[0], None)
    probe = models[chosen]
    if len(dev_idx) and len(set(y[dev_idx])) > 1:
        from .calibration import fit_calibration

        raw, evidence = probe.raw_scores(dev_texts)
        probe.temperature, probe.evidence_k = fit_calibration(raw, evidence, y[dev_idx], probe.prior)
    info = {"C": chosen, "dev_macro_f1": round(scores[chosen], 4) if scores else None,
            "dev_macro_f1_by_C": {str(c): round(v, 4) for c, v in scores.items()},
            "C_selection": rule or ("given (--C)" if C else "no dev rows: the smallest C of the grid")}
    return LinearSelection(probe, train_idx, dev_idx, info)


def one_standard_error(scores: dict[float, float], n_dev: int) -> tuple[float, dict[str, Any]]:
    """The one-standard-error rule: the smallest C (the strongest regularisation) whose dev
    macro-F1 is within one standard error of the best, so the chosen C is often not the one
    with the highest dev score. The corpus is cleaner than real posts, and the simpler model
    transfers better to them. The standard error is that of an accuracy, ``sqrt(F1 (1 - F1) / n_dev)``.

    Returns
    -------
    tuple
        The chosen C and a record of the rule for the manifest.
    """
    best_c = max(scores, key=scores.get)
    best = scores[best_c]
    standard_error = float(np.sqrt(best * (1 - best) / n_dev))
    chosen = min(c for c, score in scores.items() if score >= best - standard_error)
    return chosen, {
        "rule": "one standard error: the smallest C (strongest regularisation) whose dev "
                "macro-F1 is at least the best dev macro-F1 minus one standard error "
                "sqrt(F1 * (1 - F1) / n_dev)",
        "best_C": best_c, "best_dev_macro_f1": round(best, 4), "n_dev": int(n_dev),
        "standard_error": round(standard_error, 4),
        "threshold": round(best - standard_error, 4), "chosen_C": chosen}


def train_linear(data: LabelledData, *, seed: int = 0, C: float | None = None,
                 bits: int | None = None, progress: bool = True,
                 selection: LinearSelection | None = None,
                 split: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[Any, dict[str, Any]]:
    """Fit the linear model: :func:`select_linear` (or a ``selection`` already made), then
    refit on train + dev with the chosen C and temperature."""
    from .linear import LinearModel

    selection = selection or select_linear(data, seed=seed, C=C, bits=bits, progress=progress,
                                           split=split)
    probe, y = selection.probe, data.y
    fit_idx = np.concatenate([selection.train_idx, selection.dev_idx])
    final = LinearModel.fit([data.texts[i] for i in fit_idx], y[fit_idx], C=probe.config["C"],
                            bits=probe.bits)
    final.temperature, final.evidence_k = probe.temperature, probe.evidence_k
    info = {**selection.info,
            "calibration": f"temperature {probe.temperature:.4f} and evidence constant k "
                           f"{probe.evidence_k:.4f} fitted on {len(selection.dev_idx)} held-out "
                           f"posts, then refitted on {len(fit_idx)} posts; a post without words "
                           "gets the class prior of the training data"}
    return final, info


def train(data: Any, *, model: str = "linear", text_column: str = "text",
          label_column: str = "label", seed: int = 0, evaluate_on: dict[str, Any] | None = None,
          command: str | None = None, progress: bool = True, **options: Any):
    """Train a :class:`~afzender.Classifier` on labelled posts.

    Parameters
    ----------
    data:
        A path (CSV, TSV, JSONL, Parquet), a ``datasets.Dataset`` or ``DatasetDict``
        (all splits are read; a ``split`` column or the split names decide the roles), a
        pandas DataFrame, a list of dicts or of ``(text, label)`` pairs.
    model:
        ``"linear"`` (default, fast, no torch), ``"ensemble"`` (the linear model mixed
        with frozen e5 sentence embeddings: better on real posts, thousands of times
        slower; needs the ``e5`` extra) or ``"transformer"`` (needs the ``transformer``
        extra; pass ``base_model=`` a Hugging Face name or local path).
    text_column, label_column:
        Column names. Labels may be spelled loosely ("functie", "partij", "prive", ...).
    seed:
        Seed of every random choice; same data and seed give byte-identical model files.
    evaluate_on:
        Extra labelled data sets to evaluate on, ``{name: data}``; their metrics go into
        the model's metadata and card. They are never trained on.
    **options:
        Backend options: ``C``, ``bits`` (linear, ensemble); ``embedder`` (ensemble: a
        function used instead of :func:`afzender.ensemble.embed`, e.g. a cache); ``base_model``, ``epochs``,
        ``batch_size``, ``learning_rate``, ``max_length``, ... (transformer).

    Returns
    -------
    Classifier

    Raises
    ------
    DataError
        Missing columns, unknown labels, fewer than 6 usable posts or a single label.

    Warns
    -----
    DataWarning
        Empty posts (not used), duplicate ids, the same text with different labels.
    """
    from .classifier import Classifier
    from .evaluation import compute_metrics

    require_extra("train", "training")
    source = describe_source(data)
    data = dataset_dict_rows(data)
    labelled = read_labelled(data, text_column=text_column, label_column=label_column)
    check_trainable(labelled)
    split = plan_split(labelled.rows, labelled.columns, seed)
    if model in ("linear", "ensemble"):
        unknown = set(options) - {"C", "bits", *(("embedder",) if model == "ensemble" else ())}
    elif model == "transformer":
        import inspect

        from .transformer.train import train_transformer

        unknown = set(options) - set(inspect.signature(train_transformer).parameters)
    else:
        raise ValueError(f"model must be 'linear', 'ensemble' or 'transformer', not {model!r}")
    if unknown:
        raise TypeError(f"unknown option(s) for the {model} model: {', '.join(sorted(unknown))}")
    # Every backend gets the same rows: train then dev, never test.
    fitted = labelled.subset(np.concatenate([split.train, split.dev]))
    check_trainable(fitted)
    parts = (np.arange(len(split.train)), np.arange(len(split.train), len(fitted.texts)))
    if model == "linear":
        backend, info = train_linear(fitted, seed=seed, progress=progress, split=parts, **options)
    elif model == "ensemble":
        from .ensemble import train_ensemble

        backend, info = train_ensemble(fitted, seed=seed, progress=progress, split=parts, **options)
    else:
        backend, info = train_transformer(fitted, *parts, seed=seed, progress=progress, **options)
    excluded = {reason: len(rows) for reason, rows in labelled.excluded.items()}
    if len(split.test):
        excluded["split == test (held out for evaluation)"] = len(split.test)
    metadata: dict[str, Any] = {
        "command": command or "afzender.train(...)",
        "seed": seed,
        "training": {"source": source, "n_rows": labelled.n_rows, "n_used": len(fitted.texts),
                     "excluded": excluded, "split": split.describe(labelled.rows),
                     "label_counts": dict(sorted(Counter(fitted.labels).items())),
                     "data_sha256": fitted.sha256(), **info},
        "metrics": {},
    }
    classifier = Classifier(backend, metadata)
    sets: dict[str, LabelledData] = {}
    if len(split.test):
        sets[held_out_name(source)] = labelled.subset(split.test)
    for name, extra in (evaluate_on or {}).items():
        sets[name] = read_labelled(extra, text_column=text_column, label_column=label_column)
    for name, subset in sets.items():
        proba = classifier.predict_proba(subset.texts)
        metadata["metrics"][name] = compute_metrics(subset.labels, proba, bootstrap=0,
                                                   texts=subset.texts)
    classifier.metadata.update(metadata)
    return classifier


def describe_source(data: Any) -> dict[str, Any]:
    """What the training data was, for the manifest and the model card: a file's name and
    SHA-256 (and whether it is the project's own corpus), else the kind of object."""
    import os
    from pathlib import Path

    if not isinstance(data, (str, os.PathLike)):
        return {"kind": type(data).__name__}
    from .data import corpus_path
    from .modelfile import sha256_file

    path = Path(data)
    if not path.is_file():
        return {"kind": "file", "name": path.name}
    digest = sha256_file(path)
    corpus = corpus_path()
    return {"kind": "file", "name": path.name, "file_sha256": digest,
            "project_corpus": corpus.is_file() and digest == sha256_file(corpus)}


def held_out_name(source: dict[str, Any]) -> str:
    """``"corpus test split"`` for ``corpus.jsonl``; ``"test split"`` for in-memory data."""
    name = source.get("name")
    return f"{name.rsplit('.', 1)[0]} test split" if name else "test split"
