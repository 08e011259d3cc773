"""Count a wave-24 draft's figures against the bands of real Kamer members' posts (WAVE24_BRIEF.md).

Usage: ``python3 data/drafts/wave24_measure.py FILE [--era old|new]`` (``old``: up to 2019).
The bands are aggregates counted over the real dev files (shares and word rates, no post text).
"""

import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from style_measures import FORM, STYLE

REPLY = STYLE["starts with @ or .@ (reply)"]
# (figure, test, band up to 2019, band from 2020): shares of posts, the tests of the realism report
SHARES = [
    ("replies (start with @)", REPLY, (.20, .32), (.18, .30)),
    ("posts under 60 chars", STYLE["under 60 characters"], (.13, .26), (.05, .13)),
    ("posts under 30 chars", lambda t: len(t) < 30, (.02, .06), (.01, .04)),
    ("a link", STYLE["a link"], (.55, .80), (.45, .70)),
    ("an @mention", STYLE["an @mention"], (.40, .60), (.45, .70)),
    ("a hashtag", STYLE["a hashtag"], (.18, .33), (.20, .38)),
    ("an exclamation mark", STYLE["an exclamation mark"], (.25, .42), (.25, .42)),
    ("a question mark", FORM["a question"], (.07, .14), (.08, .16)),
    ("emoji", STYLE["emoji"], (.05, .16), (.18, .38)),
    ("a line break", STYLE["a line break"], (0, .08), (.18, .34)),
    ("three or more sentences", FORM["three or more sentences"], (0, .11), (.22, .40)),
    ("ends with a full stop (links aside)", FORM["ends with a full stop (links aside)"],
     (.12, .24), (.20, .36)),
    ('"ik"', FORM['"ik"'], (.03, .09), (.18, .34)),
    ('"geen"', FORM['"geen"'], (0, .04), (0, .04)),
    ('"om ... te"', FORM['"om … te"'], (.03, .09), (.10, .22)),
    ("a real party's name", STYLE["a party's name (VVD, PVV, D66, ...)"], (.06, .15), (.07, .17)),
]
# word: (band up to 2019, band from 2020), per 1,000 words
WORD_BANDS = {"dat": ((7, 14), (7, 13)), "maar": ((4, 8), (3.5, 7)), "toch": ((1.5, 3.5), (1.5, 3.5)),
              "ook": ((5.5, 10), (4.5, 9)), "wel": ((2.2, 4.5), (2.2, 4.5)), "wat": ((3.8, 7.5), (4.3, 8.5)),
              "mooi": ((3, 6.5), (2, 4.5)), "die": ((0, 6.5), (0, 6)), "niet": ((4.5, 8.5), (5.5, 10)),
              "dank": ((1, 2.8), (1.5, 3.2)), "gewoon": ((0, 0.5), (0, 0.7)), "klopt": ((0, 0.6), (0, 0.5))}


def reply_words(text):
    return re.sub(r"^(\s*\.?@\w+\s*)+", "", text)


def words(text):
    return re.findall(r"\w+", re.sub(r"https?://\S+|@\w+", "", text.lower()))


def share(test, texts):
    return sum(bool(test(t)) for t in texts) / max(len(texts), 1)


def median(values):
    return statistics.median(values) if values else 0


def figures(texts):
    """(name, value, band up to 2019, band from 2020) for each figure of the brief."""
    replies = [t for t in texts if REPLY(t)]
    others = [t for t in texts if not REPLY(t)]
    rows = [(name, share(test, texts), old, new) for name, test, old, new in SHARES]
    rows[1:1] = [
        ("median length of a reply's words (chars)", median([len(reply_words(t)) for t in replies]),
         (30, 60), (45, 85)),
        ("replies whose words are under 40 chars", share(lambda t: len(reply_words(t)) < 40, replies),
         (.30, .55), (.18, .40)),
        ("median length of other posts (chars)", median([len(t) for t in others]), (85, 125), (190, 260)),
    ]
    tokens = [words(t) for t in texts]
    total = max(sum(map(len, tokens)), 1)
    for word, (old, new) in WORD_BANDS.items():
        rate = 1000 * sum(t.count(word) for t in tokens) / total
        rows.append((f'"{word}" per 1,000 words', rate, old, new))
    return rows


def main():
    path = sys.argv[1]
    era = sys.argv[sys.argv.index("--era") + 1] if "--era" in sys.argv else "old"
    with open(path, encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle if line.strip()]
    print(f"{len(texts)} posts, era {era}")
    outside = 0
    for name, value, old, new in figures(texts):
        low, high = old if era == "old" else new
        flag = "" if low <= value <= high else ("  <-- too low" if value < low else "  <-- too high")
        outside += bool(flag)
        print(f"{name:42s} {value:7.2f}   band {low}–{high}{flag}")
    print(f"{outside} figures outside their band")


if __name__ == "__main__":
    main()
