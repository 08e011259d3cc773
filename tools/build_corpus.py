"""Assemble data/corpus.jsonl from the writers' drafts and the annotation passes.

    python tools/build_corpus.py

Reads data/drafts/w*.jsonl (first pass: the writer's label), data/annotations/second_pass_*.jsonl
(blind second pass) and data/annotations/adjudication.jsonl (final label where the two differ),
assigns account-disjoint splits (train/dev/test by a hash of the account), drops exact
duplicates of an earlier post (after normalisation), applies the label-preserving style
augmentation of tools/augment.py to the waves written before the realism brief (and its platform
operations to every wave), and writes
data/corpus.jsonl plus data/annotations/agreement.json. ``confidence`` is the writer's where
the draft gives one, else ``low`` when the blind second annotator was not sure, else ``high``.
Waves in ``SET_ASIDE`` are written and labelled but left out of the corpus (the datasheet says
why). In the label-blind waves a post the two passes disagreed on is ``hard``, with the
adjudication's reason as its ``note``, and so is one neither pass was sure of. A draft post
without a label, or a disagreement without an adjudication, stops the assembly before anything
is written. Deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from afzender.inputs.corpus import wave_of as wave_number  # noqa: E402
from afzender.labels import LABELS, normalize_label  # noqa: E402
from afzender.text import normalize  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
from augment import augment  # noqa: E402

FIELDS = ["id", "text", "label", "account", "sender_kind", "platform", "lang", "date", "hard",
          "note", "confidence", "augmented", "split"]
#: Waves written before the realism brief (WAVE8_BRIEF.md) get the style augmentation of augment.py;
#: every wave gets its platform operations (threads, media links).
LAST_STYLE_AUGMENTED_WAVE = 24
#: The note of a label-blind post that neither blind annotator was sure of.
NEITHER_SURE = "neither blind annotator was sure of the capacity from the text alone"
#: Waves from this one on were written label-blind (WAVE14_BRIEF.md and later): the writers gave
#: no labels, two blind annotators gave them afterwards.
FIRST_LABEL_BLIND_WAVE = 57
#: Waves kept in data/drafts/ with their annotations but not assembled into the corpus:
#: wave 12 (w47-w50, government accounts), see data/DATASHEET.md.
SET_ASIDE = frozenset({47, 48, 49, 50})


def split_of(account: str) -> str:
    bucket = int(hashlib.sha256(account.casefold().encode()).hexdigest(), 16) % 100
    return "train" if bucket < 70 else "dev" if bucket < 85 else "test"


def dedup_key(text: str) -> str:
    return re.sub(r"@\w+", "@", normalize(text))


def stats_markdown(corpus: list[dict], agreement: dict) -> str:
    """The datasheet's generated statistics section."""
    n = len(corpus)
    lines = [f"Posts: **{n}** from {len({r['account'] for r in corpus})} invented accounts.", ""]
    for key in ("label", "sender_kind", "platform", "lang", "split"):
        counts = Counter(r[key] for r in corpus)
        lines += [f"| {key} | posts | share |", "|---|---|---|"]
        lines += [f"| {value} | {c} | {c / n:.1%} |" for value, c in counts.most_common()]
        lines.append("")
    by_split = Counter((r["split"], r["label"]) for r in corpus)
    lines += ["| split | " + " | ".join(LABELS) + " |", "|---|" + "---|" * len(LABELS)]
    for split in ("train", "dev", "test"):
        lines.append(f"| {split} | " + " | ".join(str(by_split[(split, l)]) for l in LABELS) + " |")
    lengths = sorted(len(r["text"]) for r in corpus)
    lines += ["", f"Hard cases: {sum(r['hard'] for r in corpus)} ({sum(r['hard'] for r in corpus) / n:.1%}). "
              f"Length in characters: min {lengths[0]}, median {lengths[n // 2]}, max {lengths[-1]}. "
              f"Posts with `@USER`: {sum('@USER' in r['text'] for r in corpus)}; with `(LINK)`: "
              f"{sum('(LINK)' in r['text'] for r in corpus)}; with another link: "
              f"{sum('http' in r['text'] for r in corpus)}.", "",
              f"Double annotation: {agreement.get('n_double_annotated')} of {agreement.get('n_posts')} "
              f"written posts labelled twice; raw agreement {agreement.get('raw_agreement')}, Cohen's "
              f"kappa {agreement.get('cohen_kappa')}; {agreement.get('disagreements')} disagreements, all "
              f"adjudicated (data/annotations/adjudication.jsonl); "
              f"{len(agreement.get('duplicates_dropped', []))} near-duplicate posts dropped."]
    return "\n".join(lines)


def main() -> None:
    drafts = sorted((ROOT / "data/drafts").glob("w*.jsonl"), key=lambda p: int(p.stem[1:]))
    drafts = [path for path in drafts if int(path.stem[1:]) not in SET_ASIDE]
    first, unlabelled = [], []
    for path in drafts:
        with open(path, encoding="utf-8") as handle:
            for lineno, line in enumerate(handle, 1):
                row = json.loads(line)
                if row.get("label") is None:
                    unlabelled.append(f"{path.relative_to(ROOT)}:{lineno} ({row.get('id')})")
                first.append(row)
    if unlabelled:
        # A label-blind wave is written before it is annotated; assembling it half-done would put
        # posts without a label into the corpus.
        sys.exit(f"{len(unlabelled)} draft posts have no label yet (annotate the wave first, or set "
                 f"it aside): {', '.join(unlabelled[:5])}")
    second: dict[str, str] = {}
    unsure: set[str] = set()
    for path in sorted((ROOT / "data/annotations").glob("second_pass_*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                second[row["id"]] = normalize_label(row["label"])
                if row.get("sure") is False:
                    unsure.add(row["id"])
    adjudications: dict[str, dict] = {}
    adjudication = ROOT / "data/annotations/adjudication.jsonl"
    if adjudication.exists():
        with open(adjudication, encoding="utf-8") as handle:
            adjudications = {row["id"]: row for row in map(json.loads, handle)}

    seen: dict[str, str] = {}
    corpus, dropped, unresolved = [], [], []
    for row in first:
        key = dedup_key(row["text"])
        if key in seen:
            dropped.append({"id": row["id"], "duplicate_of": seen[key]})
            continue
        seen[key] = row["id"]
        label = normalize_label(row["label"])
        other = second.get(row["id"])
        disagreed = other is not None and other != label
        if disagreed:
            if row["id"] in adjudications:
                label = normalize_label(adjudications[row["id"]]["label"])
            else:
                unresolved.append(row["id"])
        out = {field: row.get(field) for field in FIELDS}
        confidence = row.get("confidence") or ("low" if row["id"] in unsure else "high")
        text, augmented = augment(row, style=wave_number(row["id"]) <= LAST_STYLE_AUGMENTED_WAVE)
        hard, note = bool(row.get("hard")), row.get("note") or ""
        if wave_number(row["id"]) >= FIRST_LABEL_BLIND_WAVE and not hard:
            # Label-blind writers cannot flag hard cases; the two blind annotators disagreeing
            # is the mark (the third reading's reason says why), and so is neither of them
            # being sure, as in the real files' `low` posts.
            if disagreed:
                hard, note = True, note or adjudications.get(row["id"], {}).get("reason", "")
            elif confidence == "low":
                hard, note = True, note or NEITHER_SURE
        out.update(text=text, label=label, split=split_of(row["account"]), hard=hard,
                   note=note, confidence=confidence, augmented=augmented)
        corpus.append(out)
    if unresolved:
        sys.exit(f"{len(unresolved)} disagreements between the two passes are not adjudicated "
                 f"(data/annotations/adjudication.jsonl): {', '.join(unresolved[:20])}")

    both = [(normalize_label(r["label"]), second[r["id"]]) for r in first if r["id"] in second]
    agreement = {"n_double_annotated": len(both), "n_posts": len(first)}
    if both:
        from sklearn.metrics import cohen_kappa_score

        agreement.update(
            raw_agreement=round(sum(a == b for a, b in both) / len(both), 4),
            cohen_kappa=round(float(cohen_kappa_score(*zip(*both), labels=list(LABELS))), 4),
            disagreements=sum(a != b for a, b in both),
            adjudicated=len(adjudications),
            unresolved=len(unresolved),
            confusions={f"{a} -> {b}": n for (a, b), n in sorted(Counter(
                (a, b) for a, b in both if a != b).items())},
        )
    agreement["set_aside_waves"] = sorted(SET_ASIDE)
    agreement["duplicates_dropped"] = dropped
    with open(ROOT / "data/corpus.jsonl", "w", encoding="utf-8") as handle:
        for row in corpus:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (ROOT / "data/annotations/agreement.json").write_text(
        json.dumps(agreement, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    datasheet = ROOT / "data" / "DATASHEET.md"
    if datasheet.exists():
        from docblocks import replace_block  # tools/ is on sys.path (see the augment import)

        replace_block(datasheet, "stats", stats_markdown(corpus, agreement))
    counts = Counter((r["split"], r["label"]) for r in corpus)
    print(f"{len(corpus)} posts, {len(dropped)} duplicates dropped")
    for split in ("train", "dev", "test"):
        print(split, {label: counts[(split, label)] for label in LABELS})


if __name__ == "__main__":
    main()
