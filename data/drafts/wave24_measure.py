"""Count a wave-24 draft's figures against the bands of real Kamer members' posts (WAVE24_BRIEF.md).

Usage: ``python3 data/drafts/wave24_measure.py FILE [--era old|new]`` (``old``: up to 2019).
The bands are aggregates counted over the real dev files (shares and word rates, no post text).
"""

import json
import re
import statistics
import sys

LINK = re.compile(r"https?://\S+")
REPLY = re.compile(r"\s*\.?@\w")
PARTY = re.compile(r"\b(?i:vvd|pvv|cda|d66|sp|pvda|groenlinks|christenunie|sgp|pvdd|ja21|fvd|bbb|nsc|"
                   r"50plus|bij1)\b|\bDENK\b|\bVolt\b")
EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF]")
# word: (band up to 2019, band from 2020), per 1,000 words
WORD_BANDS = {"dat": ((7, 14), (7, 13)), "maar": ((4, 8), (3.5, 7)), "toch": ((1.5, 3.5), (1.5, 3.5)),
              "ook": ((5.5, 10), (4.5, 9)), "wel": ((2.2, 4.5), (2.2, 4.5)), "wat": ((3.8, 7.5), (4.3, 8.5)),
              "mooi": ((3, 6.5), (2, 4.5)), "die": ((0, 6.5), (0, 6)), "niet": ((4.5, 8.5), (5.5, 10)),
              "dank": ((1, 2.8), (1.5, 3.2)), "gewoon": ((0, 0.5), (0, 0.7)), "klopt": ((0, 0.6), (0, 0.5))}


def reply_words(text):
    return re.sub(r"^(\s*\.?@\w+\s*)+", "", text)


def without_links(text):
    return LINK.sub(" ", text).strip()


def words(text):
    return re.findall(r"\w+", re.sub(r"https?://\S+|@\w+", "", text.lower()))


def share(test, texts):
    return sum(bool(test(t)) for t in texts) / max(len(texts), 1)


def median(values):
    return statistics.median(values) if values else 0


def figures(texts):
    """(name, value, band up to 2019, band from 2020) for each figure of the brief."""
    replies = [t for t in texts if REPLY.match(t)]
    others = [t for t in texts if not REPLY.match(t)]
    rows = [
        ("replies (start with @)", share(REPLY.match, texts), (.20, .32), (.18, .30)),
        ("median length of a reply's words (chars)", median([len(reply_words(t)) for t in replies]),
         (30, 60), (45, 85)),
        ("replies whose words are under 40 chars", share(lambda t: len(reply_words(t)) < 40, replies),
         (.30, .55), (.18, .40)),
        ("median length of other posts (chars)", median([len(t) for t in others]), (85, 125), (190, 260)),
        ("posts under 60 chars", share(lambda t: len(t) < 60, texts), (.13, .26), (.05, .13)),
        ("posts under 30 chars", share(lambda t: len(t) < 30, texts), (.02, .06), (.01, .04)),
        ("a link", share(LINK.search, texts), (.55, .80), (.45, .70)),
        ("an @mention", share(lambda t: re.search(r"@\w", t), texts), (.40, .60), (.45, .70)),
        ("a hashtag", share(lambda t: "#" in t, texts), (.18, .33), (.20, .38)),
        ("an exclamation mark", share(lambda t: "!" in t, texts), (.25, .42), (.25, .42)),
        ("a question mark", share(lambda t: "?" in t, texts), (.07, .14), (.08, .16)),
        ("emoji", share(EMOJI.search, texts), (.05, .16), (.18, .38)),
        ("a line break", share(lambda t: "\n" in t, texts), (0, .08), (.18, .34)),
        ("three or more sentences",
         share(lambda t: len(re.findall(r"[.!?]+(?=\s|$)", without_links(t))) >= 3, texts),
         (0, .11), (.22, .40)),
        ("ends with a full stop (links aside)", share(lambda t: without_links(t).endswith("."), texts),
         (.12, .24), (.20, .36)),
        ('"ik"', share(lambda t: re.search(r"\bik\b", t, re.I), texts), (.03, .09), (.18, .34)),
        ('"geen"', share(lambda t: re.search(r"\bgeen\b", t, re.I), texts), (0, .04), (0, .04)),
        ('"om ... te"', share(lambda t: re.search(r"\bom\b[^.!?]{0,60}\bte\b", t, re.I), texts),
         (.03, .09), (.10, .22)),
        ("a real party's name", share(PARTY.search, texts), (.06, .15), (.07, .17)),
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
