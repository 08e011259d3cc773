"""Rebuild the shipped default model from data/corpus.jsonl (the one documented command).

    python tools/build_model.py [--output models/default]     # the static model (linear + static e5 vectors)
    python tools/build_model.py --kind ensemble --output models/e5-ensemble   # needs afzender[e5]
    python tools/build_model.py --kind linear --output DIR    # the linear model alone

Trains on the corpus train + dev splits (dev picks C and the temperature), evaluates on
the corpus test split and, when ../shared/data/ is present, on the real evaluation posts
(read for evaluation only, never trained on). Same corpus and seed, same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import afzender  # noqa: E402

REAL = ROOT.parent / "shared" / "data"
#: The README's command-line examples, rerun on the shipped model whenever it is rebuilt.
CHECK_EXAMPLE = ["check", "Zaterdag ons partijcongres in Utrecht: kom allemaal!",
                 "--account-type", "corporate"]
AUDIT_EXAMPLE = ["audit", "tests/fixtures/accounts.jsonl", "--account-type",
                 "tests/fixtures/account_types.csv", "--lang", "en"]


def _jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def real_sets() -> dict[str, list[dict]]:
    """Every real dev file: all posts, and those both annotators were sure of."""
    sets: dict[str, list[dict]] = {}
    for name in ("real-2020-dev", "real-2017-2024-dev"):
        path = REAL / f"{name}.jsonl"
        if path.is_file():
            rows = _jsonl(path)
            sets[f"{name} (all)"] = rows
            sets[f"{name} (confidence high)"] = [r for r in rows if r.get("confidence") == "high"]
    party = REAL / "real-party-accounts-dev.jsonl"
    if party.is_file():
        sets["real-party-accounts-dev"] = _jsonl(party)
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "models" / "default"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kind", choices=["linear", "ensemble", "static"], default="static")
    parser.add_argument("--docs-only", action="store_true",
                        help="only rewrite the docs' figures from the model already in --output")
    args = parser.parse_args()
    if args.docs_only:
        document(Path(args.output), afzender.load(args.output).metadata["metrics"])
        return
    output = Path(args.output).resolve()
    shown = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    command = "python tools/build_model.py" + (
        f" --kind {args.kind} --output {shown}" if args.kind != "static" else "")
    classifier = afzender.train(ROOT / "data" / "corpus.jsonl", model=args.kind, seed=args.seed,
                                evaluate_on=real_sets(), command=command)
    classifier.save(args.output)
    document(Path(args.output), classifier.metadata["metrics"])
    for name, m in classifier.metadata["metrics"].items():
        print(f"{name:35s} n={m['n']:4d} macro-F1 {m['macro_f1']:.3f} "
              f"partij share {m['share_predicted']['partijpoliticus']:.3f} ECE {m['ece']:.3f}")


def document(output: Path, metrics: dict) -> None:
    """Regenerate the shipped models' figures in the docs (never typed by hand)."""
    documented = {ROOT / "models" / "default": ("model", [ROOT / "data" / "DATASHEET.md",
                                                          ROOT / "README.md"]),
                  ROOT / "models" / "e5-ensemble": ("ensemble", [ROOT / "README.md"])}
    block, docs = documented.get(output.resolve(), (None, []))
    if not block:
        return
    lines = ["| data | posts | macro-F1 | accuracy | share predicted partijpoliticus | ECE |",
             "|---|---|---|---|---|---|"]
    for name, m in sorted(metrics.items()):  # a manifest's metrics come back in sorted order
        lines.append(f"| {name} | {m['n']} | {m['macro_f1']:.3f} | {m['accuracy']:.3f} | "
                     f"{m['share_predicted']['partijpoliticus']:.3f} | {m['ece']:.3f} |")
    sys.path.insert(0, str(ROOT / "tools"))
    from docblocks import replace_block

    for doc in docs:
        replace_block(doc, block, "\n".join(lines))
    if block == "model":
        for name, body in cli_examples().items():
            replace_block(ROOT / "README.md", name, body)


def _cli(*args: str, status: int = 0) -> str:
    """The afzender command line's stdout; ``status``: the exit status it must give."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run([sys.executable, "-m", "afzender.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != status:
        raise SystemExit(f"afzender {args[0]} failed:\n{done.stderr}")
    return done.stdout.rstrip()


def cli_examples() -> dict[str, str]:
    """The README's ``check`` and ``audit`` examples as the shipped model answers them today."""
    # check exits 1: the party post does not fit a corporate account.
    quoted = " ".join(f'"{a}"' if " " in a else a for a in CHECK_EXAMPLE)
    check = f"```\n$ afzender {quoted}\n{_cli(*CHECK_EXAMPLE, status=1)}\n```"
    with tempfile.TemporaryDirectory() as folder:
        printed = _cli(*AUDIT_EXAMPLE, "-o", folder)
        table = Path(folder, "audit.md").read_text(encoding="utf-8").splitlines()
    accounts = "\n".join(line for line in printed.splitlines() if not line.startswith("wrote "))
    head = next(i for i, line in enumerate(table) if line.startswith("| row |"))
    party_post = next(line for line in table[head:] if line.startswith("| line 3 |"))
    audit = "\n".join([f"```\n$ afzender {' '.join(AUDIT_EXAMPLE)} -o audit-report", accounts, "```",
                       "`audit-report/audit.md` then says, among others:", "",
                       table[head], table[head + 1], party_post])
    return {"check-example": check, "audit-example": audit}


if __name__ == "__main__":
    main()
