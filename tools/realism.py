"""How far is the written corpus from real posts? A realism report.

    python tools/realism.py            # writes benchmarks/results/realism.{md,json,png}

Compares ``data/corpus.jsonl`` (all of it, per split and per writing wave) with the texts of every
real file in ``../shared/data/``. The real texts are read there and never copied: only aggregate
figures and the adversarial classifier's most telling n-grams enter the report.

- **Adversarial AUC**: a TF-IDF (word 1–2-grams) logistic regression that tells corpus posts from
  real posts, 5-fold stratified CV on all real posts against an equal-sized random sample of the
  corpus (seed 0). 0.5 means the two cannot be told apart.
- **Style shares**: mentions, hashtags, links, replies, line breaks, short posts, quotations,
  English, emoji, all caps, thread markers, quote-posts, live-stream and media-appearance posts.
- **How posts are built**: two links, replies to several accounts, sentence count and register
  words (``tools/style_measures.py`` holds both sets of measures).
- **Length distribution**: quantiles, and a plot of the two distributions.
- **By label, members of parliament**: how often each label's posts carry explicit signposts
  (party names, parliamentary and campaign words), replies and lengths, in the corpus's MP posts
  and in the labelled real files' MP posts (aggregate shares over the real labels).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_corpus import FIRST_LABEL_BLIND_WAVE, wave_number
from style_measures import FORM, LINK, STYLE, shares

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
SEED = 0
#: Corpus subsets with their own adversarial AUC: the waves from this number on.
SUBSETS = {"realism waves (w25 and later)": 25,
           f"label-blind waves (w{FIRST_LABEL_BLIND_WAVE} and later, written first and labelled after)":
               FIRST_LABEL_BLIND_WAVE,
           "w74 and later (waves 17 on: label-blind, briefed on everyday posts, the 140-character era, "
           "corona stretches, government voices and what follows)": 74,
           "w93 and later (waves 20 on: label-blind party accounts, Kamer members terse then long, "
           "government voices and personal accounts)": 93,
           "w117 and later (wave 23: label-blind timelines in the register of real posts)": 117,
           "w127 and later (wave 24: label-blind Kamer members in conversation)": 127}
#: The adversarial AUC is averaged over this many draws of the corpus sample (and CV folds):
#: one draw moves by about 0.01 with the sample alone.
DRAWS = 5
LENGTH_QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9)

_SIGNPOST = re.compile(
    r"\b(vvd|pvv|cda|d66|gl|groenlinks|pvda|sp|cu|christenunie|sgp|denk|fvd|volt|ja21|bbb|pvdd|nsc|"
    r"50plus|motie|kamervragen|stem|stemmen|campagne|fractie|verkiezing\w*|partij|lid worden|congres|"
    r"lijsttrekker|debat)\b", re.I)
_GOVERNMENT_OR_VERDICT = re.compile(
    r"\b(moet|moeten|schandalig|onacceptabel|belachelijk|kabinet|regering|rutte|minister)\b", re.I)
LABELS = ("minister-in-functie", "partijpoliticus", "privépersoon")
_MENTION = re.compile(r"\.?@\w+")


def anonymise(text: str) -> str:
    """Mentions and links as research data sets write them (``@USER``, ``(LINK)``), so that an
    adversarial classifier cannot win on one real file's anonymisation alone."""
    return _MENTION.sub("@USER", LINK.sub("(LINK)", text))


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def wave_of(post_id: str) -> str:
    """The writing wave of a corpus id (``w25-0001`` → ``w25``)."""
    return post_id.split("-", 1)[0]


def length_summary(texts: list[str]) -> dict[str, float]:
    lengths = np.array([len(t) for t in texts])
    return {f"p{int(q * 100)}": float(np.quantile(lengths, q)) for q in LENGTH_QUANTILES}


def by_label(rows: list[dict]) -> dict[str, dict[str, float]]:
    """Per label: share with a signpost, with a government or verdict word, of replies; median length."""
    out = {}
    for label in LABELS:
        texts = [r["text"] for r in rows if r["label"] == label]
        if texts:
            out[label] = {"n": len(texts),
                          "signpost": float(np.mean([bool(_SIGNPOST.search(t)) for t in texts])),
                          "government or verdict word": float(np.mean(
                              [bool(_GOVERNMENT_OR_VERDICT.search(t)) for t in texts])),
                          "reply": float(np.mean([t.lstrip(".").startswith("@") for t in texts])),
                          "median length": float(np.median([len(t) for t in texts]))}
    return out


_CONTENT_WORD = re.compile(r"[^\W\d_]{4,}")
_HASHTAG = re.compile(r"#\w+")


def content_words(text: str) -> list[str]:
    """Lower-cased words of four or more letters, leaving out links, mentions and hashtags."""
    without = _HASHTAG.sub(" ", _MENTION.sub(" ", LINK.sub(" ", text)))
    return [w.lower() for w in _CONTENT_WORD.findall(without)]


def unseen_word_share(reference_texts: list[str], texts: list[str]) -> float:
    """Share of the content words of ``texts`` (every occurrence) that never occur in
    ``reference_texts``: how much of a reader's vocabulary the reference lacks."""
    seen = {w for t in reference_texts for w in content_words(t)}
    words = [w for t in texts for w in content_words(t)]
    return float(np.mean([w not in seen for w in words])) if words else 0.0


def adversarial(corpus_texts: list[str], real_texts: list[str], top: int = 20, draws: int = DRAWS) -> dict:
    """Cross-validated ROC AUC of a classifier telling corpus (0) from real (1) posts: the mean
    and standard deviation over ``draws`` draws of an equal-sized corpus sample (and of the
    folds); the telling n-grams come from the first draw's classifier fitted on all its posts."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline

    n = min(len(real_texts), len(corpus_texts))
    aucs = []
    for draw in range(draws):
        rng = np.random.default_rng(SEED + draw)
        sample = [corpus_texts[i] for i in rng.choice(len(corpus_texts), n, replace=False)]
        reals = [real_texts[i] for i in rng.choice(len(real_texts), n, replace=False)]
        texts, y = sample + reals, np.r_[np.zeros(n), np.ones(n)]
        pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                             LogisticRegression(C=10, max_iter=2000))
        folds = StratifiedKFold(5, shuffle=True, random_state=SEED + draw)
        scores = cross_val_predict(pipe, texts, y, cv=folds, method="predict_proba")[:, 1]
        aucs.append(roc_auc_score(y, scores))
        if draw == 0:
            pipe.fit(texts, y)
            vectorizer, model = pipe.steps[0][1], pipe.steps[1][1]
            names = vectorizer.get_feature_names_out()
            order = np.argsort(model.coef_[0])
    return {"auc": float(np.mean(aucs)), "auc_sd": float(np.std(aucs)), "aucs": [float(a) for a in aucs],
            "n_each": n,
            "real_features": [str(names[i]) for i in order[::-1][:top]],
            "corpus_features": [str(names[i]) for i in order[:top]]}


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def build_report(corpus: list[dict], real: dict[str, list[dict]]) -> dict:
    real_texts = [r["text"] for rows in real.values() for r in rows]
    corpus_texts = [r["text"] for r in corpus]
    groups: dict[str, list[str]] = {"corpus (all)": corpus_texts}
    for split in ("train", "dev", "test"):
        groups[f"corpus {split}"] = [r["text"] for r in corpus if r["split"] == split]
    for wave in sorted({wave_of(r["id"]) for r in corpus}, key=lambda w: int(w[1:])):
        groups[f"wave {wave}"] = [r["text"] for r in corpus if wave_of(r["id"]) == wave]
    groups["real (all files)"] = real_texts
    groups.update({f"real {name}": [r["text"] for r in rows] for name, rows in real.items()})
    realism = {
        "adversarial": adversarial(corpus_texts, real_texts),
        "style": {name: shares(texts, STYLE) for name, texts in groups.items()},
        "form": {name: shares(texts, FORM) for name, texts in groups.items()},
        "length": {name: length_summary(texts) for name, texts in groups.items()},
        "n": {name: len(texts) for name, texts in groups.items()},
    }
    realism["adversarial_anonymised"] = adversarial([anonymise(t) for t in corpus_texts],
                                                    [anonymise(t) for t in real_texts])
    realism["adversarial_per_file"] = {name: adversarial(corpus_texts, [r["text"] for r in rows])["auc"]
                                       for name, rows in real.items()}
    fitted = [r["text"] for r in corpus if r["split"] != "test"]
    realism["unseen_words"] = {"corpus test (against corpus train + dev)": unseen_word_share(
        fitted, groups["corpus test"])}
    realism["unseen_words"].update({f"real {name} (against the whole corpus)": unseen_word_share(
        corpus_texts, [r["text"] for r in rows]) for name, rows in real.items()})
    realism["adversarial_subsets"] = {}
    for name, first in SUBSETS.items():
        texts = [r["text"] for r in corpus if wave_number(r["id"]) >= first]
        if texts:
            realism["adversarial_subsets"][name] = adversarial(texts, real_texts)
    def of_mps(rows: list[dict]) -> list[dict]:
        return [r for r in rows if r.get("sender_kind") == "member-of-parliament"]

    mps = {"corpus": of_mps(corpus)}
    mps["corpus, wave 10 (w38–w43, MPs without signposts)"] = [
        r for r in mps["corpus"] if 38 <= wave_number(r["id"]) <= 43]
    mps.update({f"real {name}": of_mps(rows) for name, rows in real.items() if of_mps(rows)})
    realism["members_of_parliament_by_label"] = {name: by_label(rows) for name, rows in mps.items()}
    realism["within_factor_1_5"] = {
        name: _within(realism["style"]["corpus (all)"][name], realism["style"]["real (all files)"][name])
        for name in STYLE}
    realism["waves"] = [g for g in groups if g.startswith("wave ")]
    return realism


def _within(a: float, b: float, factor: float = 1.5) -> bool:
    if a == b:
        return True
    if min(a, b) == 0:
        return False
    return max(a, b) / min(a, b) <= factor


def render(report: dict) -> str:
    adv = report["adversarial"]
    out = ["# Realism: the written corpus against real posts", "",
           "Generated by `python tools/realism.py`. Real posts are read from `../shared/data/` and "
           "never copied; only aggregate figures and the adversarial classifier's top n-grams "
           "appear here.", "",
           "## Adversarial classifier", "",
           f"TF-IDF word 1–2-grams + logistic regression telling corpus from real posts, 5-fold CV, "
           f"{adv['n_each']} posts each: **ROC AUC {adv['auc']:.3f}** ± {adv['auc_sd']:.3f} (mean and "
           f"standard deviation over {len(adv['aucs'])} draws of the corpus sample; 0.5 = "
           f"indistinguishable; target ≤ 0.80). Every AUC below is such a mean."]
    for name, new in report.get("adversarial_subsets", {}).items():
        out.append(f"The {name} alone, {new['n_each']} posts each: "
                   f"**ROC AUC {new['auc']:.3f}** ± {new['auc_sd']:.3f}.")
    if "adversarial_anonymised" in report:
        out.append(f"With mentions and links anonymised on both sides (`@USER`, `(LINK)`, as one real "
                   f"file has them): **ROC AUC {report['adversarial_anonymised']['auc']:.3f}**. "
                   "Against each real file alone: " + ", ".join(
                       f"{name} {auc:.3f}" for name, auc in report["adversarial_per_file"].items()) + ".")
    out += ["", "Most telling n-grams for *real*: " + ", ".join(f"`{f}`" for f in adv["real_features"]),
            "", "Most telling n-grams for *corpus*: " + ", ".join(f"`{f}`" for f in adv["corpus_features"]),
            "", "## Style shares", "",
            "Share of posts with each property. ✓ marks a corpus share within a factor 1.5 of the "
            "real one (the target).", ""]
    style, n = report["style"], report["n"]
    main = ["corpus (all)", "real (all files)"] + [
        g for g in style if g.startswith("real ") and g != "real (all files)"]
    header = ["share of posts with"] + [f"{g} (n={n[g]})" for g in main] + ["within 1.5×"]
    rows = [[name] + [f"{style[g][name]:.0%}" for g in main]
            + ["✓" if report["within_factor_1_5"][name] else "✗"] for name in STYLE]
    out += [_md_table(header, rows), "", "### Per split and per wave", ""]
    groups = [g for g in style if g.startswith(("corpus ", "wave ")) and g != "corpus (all)"]
    short = {name: name.split(" (")[0] for name in STYLE}
    rows = [[g, str(n[g])] + [f"{style[g][name]:.0%}" for name in STYLE] for g in groups]
    out += [_md_table(["group", "n"] + [short[name] for name in STYLE], rows), ""]
    if "form" in report:
        out += _render_form(report, main, groups)
    out += ["## Length in characters", ""]
    quantiles = [f"p{int(q * 100)}" for q in LENGTH_QUANTILES]
    rows = [[g, str(n[g])] + [f"{report['length'][g][q]:.0f}" for q in quantiles]
            for g in ["corpus (all)", "real (all files)"] + groups
            + [g for g in style if g.startswith("real ") and g != "real (all files)"]]
    out += [_md_table(["group", "n", *quantiles], rows), "", "![length distribution](realism.png)", ""]
    if "unseen_words" in report:
        out += ["## Vocabulary", "",
                "Share of content words (four or more letters; links, mentions and hashtags left out; "
                "every occurrence counted) that never occur in the reference. The corpus test split "
                "against the rest of the corpus is the floor that new accounts writing on the same "
                "topics give; the distance above it is the vocabulary the corpus lacks.", ""]
        out += [_md_table(["texts", "unseen words"],
                          [[name, f"{share:.1%}"] for name, share in report["unseen_words"].items()]), ""]
    if "members_of_parliament_by_label" in report:
        out += ["## By label: posts of members of parliament", "",
                "Signpost: a party's name, motie, Kamervragen, debat, fractie, stem(men), campagne, "
                "verkiezing(en), lijsttrekker, congres or partij. Government or verdict word: moet(en), "
                "kabinet, regering, Rutte, minister, schandalig, onacceptabel, belachelijk. Real shares "
                "are aggregates over the real files' labels.", ""]
        rows = []
        for group, labels in report["members_of_parliament_by_label"].items():
            for label, figures in labels.items():
                rows.append([group, label, str(figures["n"]), f"{figures['signpost']:.0%}",
                             f"{figures['government or verdict word']:.0%}", f"{figures['reply']:.0%}",
                             f"{figures['median length']:.0f}"])
        out += [_md_table(["group", "label", "n", "signpost", "government or verdict word", "reply",
                           "median length"], rows), ""]
    return "\n".join(out)


def _render_form(report: dict, main: list[str], groups: list[str]) -> list[str]:
    form, n = report["form"], report["n"]
    out = ["## How posts are built", "",
           "Share of posts with each property: threads and media links (which the platform adds), "
           "sentence count and the register words in which written posts differ most from real ones "
           "(the brief of wave 23). Not part of the 1.5× target count above.", ""]
    rows = [[name] + [f"{form[g][name]:.0%}" for g in main] for name in FORM]
    out += [_md_table(["share of posts with"] + [f"{g} (n={n[g]})" for g in main], rows), ""]
    label_blind = [g for g in groups if g.startswith("wave ")
                   and int(g.split()[-1][1:]) >= FIRST_LABEL_BLIND_WAVE]
    rows = [[g, str(n[g])] + [f"{form[g][name]:.0%}" for name in FORM] for g in label_blind]
    return [*out, "Per label-blind wave:", "", _md_table(["group", "n", *FORM], rows), ""]


def plot_lengths(corpus: list[dict], real_texts: list[str], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    bins = np.linspace(0, 400, 41)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    old = [len(r["text"]) for r in corpus if wave_number(r["id"]) < 25]
    new = [len(r["text"]) for r in corpus if wave_number(r["id"]) >= 25]
    ax.hist(np.clip([len(t) for t in real_texts], 0, 400), bins=bins, density=True, alpha=0.5, label="real")
    ax.hist(np.clip(old, 0, 400), bins=bins, density=True, histtype="step", lw=2, label="corpus w1–w24")
    if new:
        ax.hist(np.clip(new, 0, 400), bins=bins, density=True, histtype="step", lw=2, label="corpus w25+")
    ax.set_xlabel("characters (400+ in the last bin)")
    ax.set_ylabel("density")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main() -> None:
    if not SHARED.is_dir():
        sys.exit(f"no real posts at {SHARED}: the realism report needs them")
    corpus = _read_jsonl(ROOT / "data" / "corpus.jsonl")
    real = {path.stem: _read_jsonl(path) for path in sorted(SHARED.glob("*.jsonl"))}
    report = build_report(corpus, real)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "realism.json").write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                                          encoding="utf-8")
    (RESULTS / "realism.md").write_text(render(report), encoding="utf-8")
    plot_lengths(corpus, [r["text"] for rows in real.values() for r in rows], RESULTS / "realism.png")
    print(f"adversarial AUC {report['adversarial']['auc']:.3f}; wrote {RESULTS / 'realism.md'}")


if __name__ == "__main__":
    main()
