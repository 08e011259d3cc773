"""Validate a corpus draft file and report shared 10-word runs.

Usage: python tools/check_draft.py data/drafts/w1.jsonl [--all] [--unlabelled]
--all also compares against every other draft in data/drafts/.
--unlabelled accepts a null label and confidence (label-blind waves are labelled after writing),
so that the errors that remain are the writer's to mend.
"""
import json
import re
import sys
from collections import Counter
from pathlib import Path

LABELS = {"minister-in-functie", "partijpoliticus", "privépersoon"}
KINDS = {"corporate-minister-account", "ministry-account", "government-member",
         "member-of-parliament", "party-account", "local-office-holder", "public-body"}
PLATFORMS = {"x", "mastodon", "bluesky", "instagram", "linkedin", "facebook"}
FIELDS = ["id", "text", "label", "account", "sender_kind", "platform", "lang", "date", "hard", "note"]
TWITTER_280 = "2017-11-07"
WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text, n=10):
    words = [w.lower() for w in WORD.findall(text)]
    return {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)}


def post_limit(row):
    """The character limit of an X/Twitter post on its date (140 until 7 November 2017, then
    280); None for other platforms."""
    if row.get("platform") != "x":
        return None
    return 140 if str(row.get("date", "")) < TWITTER_280 else 280


def load(path, unlabelled=False):
    rows, errors = [], []
    with open(path, encoding="utf-8") as handle:
        lines = list(handle)
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{path}:{lineno}: invalid JSON ({exc})")
            continue
        missing = [f for f in FIELDS if f not in row]
        if missing:
            errors.append(f"{path}:{lineno}: missing fields {missing}")
        awaits_labels = unlabelled and row.get("label") is None and row.get("confidence") is None
        if row.get("label") not in LABELS and not awaits_labels:
            errors.append(f"{path}:{lineno}: bad label {row.get('label')!r}")
        if row.get("sender_kind") not in KINDS:
            errors.append(f"{path}:{lineno}: bad sender_kind {row.get('sender_kind')!r}")
        if row.get("platform") not in PLATFORMS:
            errors.append(f"{path}:{lineno}: bad platform {row.get('platform')!r}")
        if row.get("lang") not in {"nl", "en"}:
            errors.append(f"{path}:{lineno}: bad lang {row.get('lang')!r}")
        if not isinstance(row.get("hard"), bool):
            errors.append(f"{path}:{lineno}: hard must be true/false")
        if row.get("hard") and not str(row.get("note", "")).strip():
            errors.append(f"{path}:{lineno}: hard post needs a note")
        if row.get("confidence", "high") not in {"high", "mixed", "low"} and not awaits_labels:
            errors.append(f"{path}:{lineno}: confidence must be 'high', 'mixed' or 'low'")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(row.get("date", ""))):
            errors.append(f"{path}:{lineno}: date must be YYYY-MM-DD")
        limit = post_limit(row)
        if limit and len(str(row.get("text", ""))) > limit:
            errors.append(f"{path}:{lineno}: {len(row['text'])} characters, over the {limit} "
                          f"that {row.get('platform')} allowed on {row.get('date')}")
        row["_where"] = f"{Path(path).name}:{lineno}"
        rows.append(row)
    return rows, errors


def main():
    path = sys.argv[1]
    rows, errors = load(path, unlabelled="--unlabelled" in sys.argv)
    others = []
    if "--all" in sys.argv:
        for other in sorted(Path(path).parent.glob("*.jsonl")):
            if other.resolve() != Path(path).resolve():
                others.extend(load(other)[0])
    ids = Counter(r.get("id") for r in rows)
    errors += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    seen = {}
    for row in others + rows:
        for sh in shingles(row.get("text", "")):
            if sh in seen and seen[sh] != row["_where"] and row in rows:
                errors.append(f"{row['_where']} shares a 10-word run with {seen[sh]}: '{sh}'")
            seen.setdefault(sh, row["_where"])
    n = len(rows)
    print(f"{n} posts")
    if n:
        for key in ("label", "sender_kind", "platform", "lang"):
            print(key, dict(Counter(r.get(key) for r in rows)))
        print("hard share", round(sum(bool(r.get("hard")) for r in rows) / n, 3))
        print("accounts", len({r.get('account') for r in rows}))
    for e in errors[:60]:
        print("ERROR", e)
    print(f"{len(errors)} errors")


if __name__ == "__main__":
    main()
