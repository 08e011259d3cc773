"""Honest, label-preserving style augmentation of the written corpus (used by build_corpus.py).

Real posts carry far more links, @mentions, #hashtags, replies and line breaks than the posts
written for the project (see ``benchmarks/results/realism.md``). Posts of the earlier writing
waves (w1–w24, written before the realism brief) get some of these, in the ways real posts use
them, without changing what the sender's own words say:

- ``link``: a trailing ``https://t.co/…`` link (or ``(LINK)`` in a post that already uses the
  anonymised ``@USER`` form); links are judged by the words around
  them (guide rule 4), so the label does not change;
- ``mention``: a public body or party named in the text is tagged by its public handle
  (``RIVM`` → ``@RIVM``), as real posts tag organisations; in a post that already uses the
  anonymised ``@USER`` form the handle is written ``@USER``, as those data sets write every
  handle, so there the name itself gives way (the one change to the sender's words);
- ``hashtag``: a topical word already in the text becomes a hashtag (``stikstof`` → ``#stikstof``,
  ``Prinsjesdag`` → ``#Prinsjesdag``);
- ``reply``: a post by a person is made a reply to one or more (invented or anonymised)
  accounts, ``@handle`` first, as a reply in a thread reads.

Two platform operations apply to every wave, the realism waves included, because no writer
brief could set them and they change nothing the sender wrote:

- ``thread``: a reply gets the further handles a reply deep in a thread carries (the platform
  puts every participant's handle in front). Real replies open with 1, 2, 3 or 4 and more
  handles in 50 / 32 / 9 / 8 % of cases; written replies in 88 / 11 / 1 / 0 %;
- ``media``: a post that ends with a link gets a second link after it, the link of an attached
  photo or a quoted post. Of real posts with a link, 21 % of party accounts' and 4 % of
  persons' posts carry two; written posts almost never do.

Line breaks are not added: many real posts come from collections that flattened them, and
the written waves from w25 on already carry as many as real posts do.

Each operation is chosen per post by a hash of its id, so the corpus is rebuilt byte for byte.
Writers' drafts keep the original texts; ``data/corpus.jsonl`` records in ``augmented`` which
operations a post received.
"""

from __future__ import annotations

import hashlib
import re

#: Probability (per eligible post) of each operation, chosen so that the whole corpus comes
#: close to the aggregate shares of real posts (benchmarks/results/realism.md).
RATES = {"link": 0.45, "mention": 0.7, "hashtag": 0.7, "reply": 0.25}
#: Share of real replies that open with 1, 2, 3 and 4 handles (all real files, in aggregate):
#: a reply's handle count is drawn from it, and a reply with fewer gets the difference.
THREAD_HANDLES = (0.50, 0.32, 0.09, 0.09)
#: Probability that a post ending with a link gets a second one, by sender kind: the share of
#: two-link posts among real posts with a link (party accounts 21 %, persons 4 %; the few real
#: ministry posts carry more, so organisations get the party accounts' rate).
MEDIA_RATES = {"party-account": 0.2, "ministry-account": 0.2, "corporate-minister-account": 0.2,
               "public-body": 0.2, "member-of-parliament": 0.04, "government-member": 0.04,
               "local-office-holder": 0.04}

#: Organisations often tagged in real posts, by the name the text uses → their public handle.
HANDLES = {
    "RIVM": "@RIVM", "GGD": "@GGDghor", "KNMI": "@KNMI", "Rijkswaterstaat": "@Rijkswaterstaat",
    "Belastingdienst": "@Belastingdienst", "NOS": "@NOS", "Nieuwsuur": "@Nieuwsuur",
    "Defensie": "@Defensie", "Politie": "@Politie", "politie": "@Politie", "RVO": "@rvo_nl",
    "UWV": "@UWV", "SVB": "@SVB_nl", "DUO": "@DUO_nl", "IND": "@IND_NL", "COA": "@COAnl",
    "NAVO": "@NATO", "NATO": "@NATO", "VN": "@UN", "Tweede Kamer": "@2eKamertweets",
    "VVD": "@VVD", "CDA": "@cdavandaag", "D66": "@D66", "PVV": "@PVV", "SP": "@SPnl",
    "GroenLinks": "@groenlinks", "PvdA": "@PvdA", "ChristenUnie": "@christenunie", "SGP": "@SGPnieuws",
    "PvdD": "@PartijvdDieren", "DENK": "@DenkNL", "JA21": "@JuisteAntwoord", "FvD": "@fvdemocratie",
    "Volt": "@VoltNederland", "BBB": "@BoerBurgerPartij", "NSC": "@NSC_nl", "50PLUS": "@50pluspartij",
}
#: Topical words that real posts often turn into hashtags where they stand.
TOPICS = (
    "corona", "coronavirus", "stikstof", "klimaat", "woningmarkt", "wonen", "woningbouw", "zorg",
    "onderwijs", "asiel", "migratie", "Oekraïne", "Ukraine", "Groningen", "Prinsjesdag",
    "Miljoenennota", "toeslagen", "toeslagenaffaire", "jeugdzorg", "energie", "energierekening",
    "defensie", "boeren", "landbouw", "pensioen", "pensioenen", "minimumloon", "veiligheid",
    "Koningsdag", "Bevrijdingsdag", "dodenherdenking", "verkiezingen", "Europa", "EU", "NAVO",
    "vaccinatie", "mondkapjes", "avondklok", "lockdown", "armoede", "koopkracht", "natuur",
    "water", "mantelzorg", "ggz", "cultuur", "sport", "OV", "fiets", "Schiphol", "Rotterdam",
    "Amsterdam", "Utrecht", "Den Haag", "Zeeland", "Limburg", "Friesland", "Twente", "Brabant",
    "Gelderland", "Groningen", "Drenthe", "Overijssel", "Noord-Holland", "Zuid-Holland", "Flevoland",
    "Prinsjesdag", "formatie", "begroting", "Kamerdebat", "debat", "zorgpremie", "huurders",
    "studenten", "leraren", "jongeren", "ouderen", "ondernemers", "mkb", "werkgelegenheid", "inflatie",
    "stikstofcrisis", "coronacrisis", "vaccin", "GGD", "privacy", "AI", "duurzaamheid", "CO2",
    "gaswinning", "aardbeving", "asielzoekers", "vluchtelingen", "Rusland", "Israël", "Gaza",
    "Europese Unie", "Brussel", "NAVO-top", "Koningsdag", "Pride", "Keti Koti", "Ramadan",
)
# a name or topic standing alone: not inside a word, a handle or a hashtag, and without a
# suffix ("GGD'en", "EU-landen"), which a tag would tear off
_TOPIC = re.compile(r"(?<![#@\w])(" + "|".join(map(re.escape, sorted(set(TOPICS), key=len, reverse=True)))
                    + r")(?![\w'’-])")
_HANDLE = re.compile(r"(?<![#@\w])(" + "|".join(map(re.escape, sorted(HANDLES, key=len, reverse=True)))
                     + r")(?![\w'’-])")
_LINK = re.compile(r"https?://|www\.|\(LINK\)", re.I)
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_REPLY_NAMES = ("marieke", "jdevries", "pieter_b", "anouk", "sandervd", "fleur_m", "karim",
                "ellenb", "bas_janssen", "noortje", "henkdb", "yasmina", "tomvdl", "ria_k",
                "ilse_h", "mohamed_a", "wouter", "lotte_s", "gerrit_r", "sanne", "jeroen_k",
                "esther_vd", "rachid_b", "linda_m", "koen", "fatima_z", "dirk_jan", "mirjam",
                "hans_o", "petra_w", "sem_b", "nadia", "ruud_h", "iris_t", "arjen", "hanneke",
                "stefan_d", "merel", "youssef", "gijs_v")
PERSON_KINDS = {"member-of-parliament", "government-member", "local-office-holder"}


def _draw(post_id: str, op: str) -> float:
    """A number in [0, 1) fixed by the post id and the operation."""
    digest = hashlib.sha256(f"{post_id}:{op}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _token(post_id: str, length: int = 10) -> str:
    digest = hashlib.sha256(f"{post_id}:token".encode()).digest()
    return "".join(_ALNUM[b % len(_ALNUM)] for b in digest[:length])


def _anonymised(text: str) -> bool:
    return "@USER" in text or "(LINK)" in text


def add_link(row: dict) -> str | None:
    text = row["text"]
    if _LINK.search(text):
        return None
    link = "(LINK)" if _anonymised(text) else f"https://t.co/{_token(row['id'])}"
    return text.rstrip() + " " + link


def add_mention(row: dict) -> str | None:
    match = _HANDLE.search(row["text"])
    if not match:
        return None
    handle = "@USER" if _anonymised(row["text"]) else HANDLES[match.group(1)]
    return row["text"][:match.start()] + handle + row["text"][match.end():]


def add_hashtag(row: dict) -> str | None:
    match = _TOPIC.search(row["text"])
    if not match:
        return None
    tag = "#" + re.sub(r"[\s-]", "", match.group(1))
    return row["text"][:match.start()] + tag + row["text"][match.end():]


def add_reply(row: dict) -> str | None:
    text = row["text"]
    if row.get("sender_kind") not in PERSON_KINDS or text.lstrip().startswith(("@", ".@")):
        return None
    # a third of replies go to two or three accounts, as replies in a thread often do
    count = 1 + int(_draw(row["id"], "reply-count") < 1 / 3) + int(_draw(row["id"], "reply-three") < 0.1)
    first = int(_draw(row["id"], "reply-name") * len(_REPLY_NAMES))
    names = [_REPLY_NAMES[(first + 7 * i) % len(_REPLY_NAMES)] for i in range(count)]
    handles = ["@USER"] * count if _anonymised(text) else [f"@{name}" for name in names]
    return " ".join(handles) + " " + text


def add_thread(row: dict) -> str | None:
    text = row["text"]
    lead = re.match(r"\s*((?:@\w+\s+)+)", text)
    if not lead:
        return None
    present = lead.group(1).split()
    draw, wanted = _draw(row["id"], "thread"), 1
    while wanted < len(THREAD_HANDLES) and draw >= sum(THREAD_HANDLES[:wanted]):
        wanted += 1
    if wanted <= len(present):
        return None
    if _anonymised(text):
        extra = ["@USER"] * (wanted - len(present))
    else:
        first = int(_draw(row["id"], "thread-name") * len(_REPLY_NAMES))
        pool = [f"@{_REPLY_NAMES[(first + 11 * i) % len(_REPLY_NAMES)]}" for i in range(len(_REPLY_NAMES))]
        extra = [h for h in pool if h.lower() not in {p.lower() for p in present}][: wanted - len(present)]
    return text[: lead.end(1)] + " ".join(extra) + " " + text[lead.end(1):]


def add_media(row: dict) -> str | None:
    text = row["text"].rstrip()
    if not re.search(r"(https?://\S+|\(LINK\))$", text):
        return None
    if _draw(row["id"], "media-rate") >= MEDIA_RATES.get(row.get("sender_kind"), 0.0):
        return None
    link = "(LINK)" if text.endswith("(LINK)") else f"https://t.co/{_token(row['id'] + ':media')}"
    return text + " " + link


OPERATIONS = {"mention": add_mention, "hashtag": add_hashtag, "link": add_link, "reply": add_reply}
#: Applied to every wave (see the module docstring); their draws are inside the operations.
PLATFORM_OPERATIONS = {"thread": add_thread, "media": add_media}


def augment(row: dict, *, style: bool = True) -> tuple[str, list[str]]:
    """The post's text after the operations its id draws, and the names of those applied.

    ``style=False`` applies only the platform operations (posts of the realism waves)."""
    applied = []
    for name, operation in OPERATIONS.items():
        if not style or _draw(row["id"], name) >= RATES[name]:
            continue
        new = operation(row)
        if new is not None:
            row = {**row, "text": new}
            applied.append(name)
    for name, operation in PLATFORM_OPERATIONS.items():
        new = operation(row)
        if new is not None:
            row = {**row, "text": new}
            applied.append(name)
    return row["text"], applied
