"""Human-readable renderings of audits and checks: Markdown, self-contained HTML with
inline SVG charts (no scripts, no network), and terminal messages. Dutch and English."""

from __future__ import annotations

import html
from importlib.resources import files
from string import Template
from typing import TYPE_CHECKING

from ..labels import LABELS
from ..outputs import md_cell

if TYPE_CHECKING:  # plain functions over results; the result classes call them
    from .results import AccountAudit, AuditResult, CheckResult

COLOURS = {"minister-in-functie": "#1f5fa8", "partijpoliticus": "#d0541c", "privépersoon": "#6a9f3a"}

WORDS = {
    "nl": {
        "title": "Audit: afzenderschap per account", "account": "Account", "type": "type",
        "posts": "berichten", "corporate": "corporate (alleen beleid)", "personal": "persoonlijk",
        "shares": "Aandelen per label", "over_time": "Aandelen per periode", "period": "periode",
        "breaches": "Berichten die de regel voor dit account breken",
        "unsure": "Twijfel (onder de drempel, niet als overtreding geteld)",
        "none": "geen", "row": "rij", "label": "label", "prob": "kans", "words": "doorslaggevende woorden",
        "principle": "principe", "text": "tekst", "doubt": "twijfeldrempel", "model": "model",
        "summary": "Samenvatting", "n_breaches": "overtredingen", "n_unsure": "twijfel",
        "fits": "Past bij een {type} account.",
        "mismatch": "Past NIET bij een {type} account: raakt aan het principe '{principle}'.",
        "unsure_note": "Let op: het model twijfelt (kans {p:.2f}); laat iemand meelezen.",
        "capacity": "Voorspelde hoedanigheid",
        "estimated": "geschatte mix (EM)",
        "estimated_note": "Geschatte mix: de aandelen geschat uit de kansen van alle berichten van het "
                          "account (EM, zonder labels). De schatting neemt aan dat het account schrijft "
                          "zoals het trainingscorpus en alleen een andere mix heeft; dan ligt ze dichter "
                          "bij de werkelijke mix dan het tellen van labels, anders kan ze verder af "
                          "liggen. Ruw onder zo'n 50 berichten.",
    },
    "en": {
        "title": "Audit: capacity of the sender per account", "account": "Account", "type": "type",
        "posts": "posts", "corporate": "corporate (policy only)", "personal": "personal",
        "shares": "Share per label", "over_time": "Shares per period", "period": "period",
        "breaches": "Posts that break the rule for this account",
        "unsure": "Unsure (below the threshold, not counted as breaches)",
        "none": "none", "row": "row", "label": "label", "prob": "probability", "words": "words that drove it",
        "principle": "principle", "text": "text", "doubt": "doubt threshold", "model": "model",
        "summary": "Summary", "n_breaches": "breaches", "n_unsure": "unsure",
        "fits": "Fits a {type} account.",
        "mismatch": "Does NOT fit a {type} account: touches the principle '{principle}'.",
        "unsure_note": "Note: the model is unsure (probability {p:.2f}); ask a colleague to read along.",
        "capacity": "Predicted capacity",
        "estimated": "estimated mix (EM)",
        "estimated_note": "Estimated mix: the shares estimated from the probabilities of all the "
                          "account's posts (EM, no labels needed). It assumes the account writes like "
                          "the training corpus and only its mix differs; then it is closer to the true "
                          "mix than counting labels, otherwise it can be further off. Rough below "
                          "about 50 posts.",
    },
}


def _w(lang: str) -> dict[str, str]:
    if lang not in WORDS:
        raise ValueError(f"language must be one of {', '.join(WORDS)}, not {lang!r}")
    return WORDS[lang]


def check_message(result: CheckResult, lang: str = "nl") -> str:
    w = _w(lang)
    kind = w[result.account_type].split(" ")[0]
    lines = [f"{w['capacity']}: {result.label}",
             "  " + "  ".join(f"{label} {result.probabilities[label]:.2f}" for label in LABELS)]
    if result.fits:
        lines.append(w["fits"].format(type=kind))
    else:
        lines.append(w["mismatch"].format(type=kind, principle=result.principle))
    if result.unsure:
        lines.append(w["unsure_note"].format(p=result.probabilities[result.label]))
    if result.words:
        lines.append(f"{w['words']}: " + ", ".join(word for word, _ in result.words))
    return "\n".join(lines)


def _short(text: str, size: int = 140) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _flagged_md(posts, w, lang) -> list[str]:
    if not posts:
        return [f"_{w['none']}_", ""]
    lines = [f"| {w['row']} | {w['label']} | {w['prob']} | {w['principle']} | {w['words']} | {w['text']} |",
             "|---|---|---|---|---|---|"]
    for p in posts:
        lines.append(f"| {md_cell(p.row)} | {p.label} | {p.probability:.2f} | {p.principle or ''} | "
                     f"{md_cell(', '.join(x for x, _ in p.words))} | {md_cell(_short(p.text))} |")
    return [*lines, ""]


def audit_markdown(result: AuditResult, lang: str = "nl") -> str:
    w = _w(lang)
    lines = [f"# {w['title']}", "",
             f"{w['model']}: {md_cell(result.model.get('kind'))} · {w['doubt']}: {result.doubt:.2f} · "
             f"{w['period']}: {result.period}", "", f"## {w['summary']}", "",
             f"| {w['account']} | {w['type']} | {w['posts']} | " + " | ".join(LABELS) +
             f" | {w['estimated']} | {w['n_breaches']} | {w['n_unsure']} |",
             "|---|---|---|" + "---|" * len(LABELS) + "---|---|---|"]
    for a in result.accounts:
        lines.append(f"| {md_cell(a.account)} | {a.account_type} | {a.n} | " +
                     " | ".join(f"{a.shares[l]:.0%}" for l in LABELS) +
                     f" | {_estimated(a)} | {len(a.breaches)} | {len(a.unsure)} |")
    lines += ["", w["estimated_note"], ""]
    for a in result.accounts:
        lines += [f"## {md_cell(a.account)} ({w[a.account_type]}, {a.n} {w['posts']})", "",
                  f"### {w['over_time']}", "",
                  f"| {w['period']} | " + " | ".join(LABELS) + " |", "|---|" + "---|" * len(LABELS)]
        for period, counts in a.periods.items():
            total = sum(counts.values())
            lines.append(f"| {md_cell(period)} | "
                         + " | ".join(f"{counts[l] / total:.0%}" for l in LABELS) + " |")
        lines += ["", f"### {w['breaches']}", "", *_flagged_md(a.breaches, w, lang)]
        if a.account_type == "corporate":
            lines += [f"### {w['unsure']}", "", *_flagged_md(a.unsure, w, lang)]
    return "\n".join(lines) + "\n"


def shares_svg(audit: AccountAudit, width: int = 640, height: int = 220) -> str:
    """A stacked bar per period (label shares), as an inline SVG element."""
    periods = list(audit.periods.items())
    left, bottom, top = 40, 40, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    bar = plot_w / max(len(periods), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="shares per period for {html.escape(audit.account)}">',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>']
    for tick in (0, 50, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick}%</text>')
    for i, (period, counts) in enumerate(periods):
        total = sum(counts.values()) or 1
        y = top + plot_h
        for label in LABELS:
            h = plot_h * counts[label] / total
            y -= h
            parts.append(f'<rect class="bar" x="{left + i * bar + 2:.1f}" y="{y:.1f}" '
                         f'width="{max(bar - 4, 1):.1f}" height="{h:.1f}" fill="{COLOURS[label]}">'
                         f'<title>{html.escape(period)} {label}: {counts[label]}/{total}</title></rect>')
        if len(periods) <= 24 or i % max(len(periods) // 12, 1) == 0:
            parts.append(f'<text x="{left + (i + 0.5) * bar:.1f}" y="{top + plot_h + 14}" font-size="9" '
                         f'text-anchor="middle">{html.escape(period)}</text>')
    x = left
    for label in LABELS:
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{COLOURS[label]}"/>'
                     f'<text x="{x + 14}" y="{height - 5}" font-size="10">{label}</text>')
        x += 150
    parts.append("</svg>")
    return "".join(parts)


def _flagged_html(posts, w) -> str:
    if not posts:
        return f"<p><em>{w['none']}</em></p>"
    rows = "".join(
        f"<tr><td>{html.escape(p.row)}</td><td>{html.escape(p.label)}</td><td>{p.probability:.2f}</td>"
        f"<td>{html.escape(p.principle or '')}</td><td>{html.escape(', '.join(x for x, _ in p.words))}</td>"
        f"<td>{html.escape(_short(p.text, 300))}</td></tr>" for p in posts)
    return (f"<table><tr><th>{w['row']}</th><th>{w['label']}</th><th>{w['prob']}</th>"
            f"<th>{w['principle']}</th><th>{w['words']}</th><th>{w['text']}</th></tr>{rows}</table>")


def audit_html(result: AuditResult, lang: str = "nl") -> str:
    w = _w(lang)
    sections = [f"<p>{html.escape(w['estimated_note'])}</p>"]
    for a in result.accounts:
        shares = " · ".join(f"{l}: {a.shares[l]:.0%}" for l in LABELS)
        body = (f'<section class="account"><h2>{html.escape(a.account)}</h2>'
                f"<p>{w[a.account_type]} · {a.n} {w['posts']} · {shares}</p>"
                f"<p>{w['estimated']}: {_estimated(a)}</p>"
                f"<h3>{w['over_time']}</h3>{shares_svg(a)}"
                f"<h3>{w['breaches']} ({len(a.breaches)})</h3>{_flagged_html(a.breaches, w)}")
        if a.account_type == "corporate":
            body += f"<h3>{w['unsure']} ({len(a.unsure)})</h3>{_flagged_html(a.unsure, w)}"
        sections.append(body + "</section>")
    page = Template(_template("audit.html"))
    return page.substitute(
        lang=lang, title=w["title"], style=_template("audit.css").strip(),
        header=f"{w['model']}: {html.escape(str(result.model.get('kind')))} · "
               f"{w['doubt']}: {result.doubt:.2f} · {w['period']}: {result.period}",
        sections="".join(sections)).rstrip("\n") + "\n"


def _estimated(audit: AccountAudit) -> str:
    """The estimated mix as ``m / p / v %``, or a dash when the model gave none."""
    if audit.estimated_shares is None:
        return "–"
    return " / ".join(f"{100 * audit.estimated_shares[l]:.0f}" for l in LABELS) + " %"


def _template(name: str) -> str:
    return (files(__package__) / "templates" / name).read_text(encoding="utf-8")
