"""What a post looks like, as shares of posts: the measures of the realism report (tools/realism.py).

``STYLE`` holds the habits the realism target counts (each corpus share within a factor 1.5 of
the real one); ``FORM`` holds how posts are built: threads, media links, sentence count and the
register words in which written posts differ most from real ones (WAVE23_BRIEF.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")
_EN_WORDS = frozenset(["the", "and", "of", "to", "is", "are", "we", "our", "for", "with", "this", "that",
                       "on", "in", "be", "will", "have", "it", "you"])
_NL_WORDS = frozenset(["de", "het", "een", "van", "en", "is", "zijn", "we", "wij", "onze", "voor", "met",
                       "dit", "dat", "op", "in", "ik", "je", "niet"])
_QUOTE = re.compile(r"[\"“”„«»][^\"“”„«»]{3,}[\"“”„«»]|‘[^‘’]{3,}’")
_CAPS_WORD = re.compile(r"\b[A-ZÀ-Þ]{3,}\b")
_THREAD = re.compile(r"(?:^|\s)\(?(\d{1,2})/(\d{1,2})\)?(?=\s|$)|🧵")
_QUOTE_POST = re.compile(
    r"\b(goed|mooi|sterk|belangrijk|interessant|helder|prima|lezenswaardig)e?\s+"
    r"(stuk|artikel|verhaal|interview|draadje|analyse|opiniestuk|column|betoog)\b|^\s*rt\s+@|"
    r"\blees\s+(hier|dit|mee)\b|\baanrader\b|\bmust[- ]read\b", re.I)
# DENK and Volt only as spelled by the parties: "denk" and "volt" are also Dutch words
_PARTY = re.compile(r"\b(?i:vvd|pvv|cda|d66|sp|pvda|groenlinks|christenunie|sgp|pvdd|ja21|fvd|bbb|nsc|"
                    r"50plus|bij1)\b|\bDENK\b|\bVolt\b")
_LIVE = re.compile(r"\blive\b|livestream|kijk\s+(live\s+)?mee|\blivestream", re.I)
_MEDIA = re.compile(
    r"#kijktip|#luistertip|\bte gast\b|\baan tafel\b|\bschuif\w* (vanavond )?aan\b|"
    r"\b(bij|in|op)\s+@?(op1|nieuwsuur|jinek|eva|nos|npo\w*|radio ?1|bnr|wnl|rtl\w*|buitenhof|"
    r"pauw|dwdd|sven|goedemorgen ?nederland|nieuws ?en ?co|spraakmakers|m\b)", re.I)


def _is_english(text: str) -> bool:
    words = re.findall(r"[a-zà-ÿ]+", text.lower())
    en = sum(w in _EN_WORDS for w in words)
    return en >= 2 and en > sum(w in _NL_WORDS for w in words)


def _all_caps(text: str) -> bool:
    """Shouting: an all-caps word of 6+ letters, or three all-caps words (acronyms alone are
    not; the anonymised ``@USER`` and ``(LINK)`` of research data sets do not count)."""
    words = [w for w in _CAPS_WORD.findall(text) if w not in ("USER", "LINK")]
    return any(len(w) >= 6 for w in words) or len(words) >= 3


def _thread(text: str) -> bool:
    for match in _THREAD.finditer(text):
        if match.group(0) == "🧵":
            return True
        part, whole = int(match.group(1)), int(match.group(2))
        if 1 <= part <= whole <= 20:
            return True
    return False


STYLE: dict[str, Callable[[str], bool]] = {
    "an @mention": lambda t: bool(re.search(r"@\w", t)),
    "a hashtag": lambda t: bool(re.search(r"#\w", t)),
    "a link": lambda t: bool(re.search(r"https?://|www\.|\(LINK\)", t, re.I)),
    "starts with @ or .@ (reply)": lambda t: bool(re.match(r"\s*\.?@\w", t)),
    "a line break": lambda t: "\n" in t,
    "under 60 characters": lambda t: len(t) < 60,
    "a quotation": lambda t: bool(_QUOTE.search(t)),
    "English": _is_english,
    "emoji": lambda t: bool(_EMOJI.search(t)),
    "all caps (shouting)": _all_caps,
    "a thread marker (1/3, 🧵)": _thread,
    "a quote-post or share (\"goed stuk\", \"lees hier\", RT)": lambda t: bool(_QUOTE_POST.search(t)),
    "live-stream": lambda t: bool(_LIVE.search(t)),
    "media appearance (TV/radio, #kijktip)": lambda t: bool(_MEDIA.search(t)),
    # lexical habits of the writers (the adversarial classifier's corpus-side n-grams)
    "an exclamation mark": lambda t: "!" in t,
    "a party's name (VVD, PVV, D66, ...)": lambda t: bool(_PARTY.search(t)),
    "formal \"wij\"": lambda t: bool(re.search(r"\bwij\b", t, re.I)),
    "opens with \"Vandaag\"": lambda t: t.lstrip().lower().startswith("vandaag"),
}


#: A link as posts write it: a URL, or the anonymised ``(LINK)`` of research data sets.
LINK = re.compile(r"https?://\S+|www\.\S+|\(LINK\)")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


def _without_links(text: str) -> str:
    return LINK.sub(" ", text).strip()


FORM: dict[str, Callable[[str], bool]] = {
    "two or more links": lambda t: len(LINK.findall(t)) >= 2,
    "a reply to two or more accounts": lambda t: bool(re.match(r"\s*@\w+\s+@\w+", t)),
    "three or more sentences": lambda t: len(_SENTENCE_END.findall(_without_links(t))) >= 3,
    "ends with a full stop (links aside)": lambda t: _without_links(t).endswith("."),
    "\"ik\"": lambda t: bool(re.search(r"\bik\b", t, re.I)),
    "\"om … te\"": lambda t: bool(re.search(r"\bom\b[^.!?]{0,60}\bte\b", t, re.I)),
    "\"wordt\" / \"worden\"": lambda t: bool(re.search(r"\b(wordt|worden)\b", t, re.I)),
    "\"geen\"": lambda t: bool(re.search(r"\bgeen\b", t, re.I)),
    "a question": lambda t: "?" in t,
}


def shares(texts: list[str], measures: dict[str, Callable[[str], bool]]) -> dict[str, float]:
    """The share of ``texts`` with each measure's property."""
    return {name: float(np.mean([test(t) for t in texts])) if texts else 0.0
            for name, test in measures.items()}
