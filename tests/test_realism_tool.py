"""The realism report's measures (``tools/realism.py``), on hand-made posts."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
realism = pytest.importorskip("realism")


def test_anonymise_writes_mentions_and_links_as_research_files_do():
    text = ".@JanDeVries zie https://t.co/AbC123 en www.example.nl, of (LINK) via @x_y"
    assert realism.anonymise(text) == "@USER zie (LINK) en (LINK) of (LINK) via @USER"


def test_anonymise_is_idempotent():
    once = realism.anonymise("@a @b https://t.co/x")
    assert realism.anonymise(once) == once


def test_by_label_counts_signposts_replies_and_lengths():
    rows = [
        {"text": "Onze motie is aangenomen!", "label": "partijpoliticus"},
        {"text": "Wat een vakmensen. En wat een regeldruk.", "label": "partijpoliticus"},
        {"text": "@sanne haha dank je", "label": "privépersoon"},
        {"text": "Het kabinet moet nu ingrijpen", "label": "partijpoliticus"},
    ]
    figures = realism.by_label(rows)
    assert set(figures) == {"partijpoliticus", "privépersoon"}
    partij = figures["partijpoliticus"]
    assert partij["n"] == 3
    assert partij["signpost"] == pytest.approx(1 / 3)
    assert partij["government or verdict word"] == pytest.approx(1 / 3)
    assert partij["reply"] == 0.0
    assert figures["privépersoon"]["reply"] == 1.0
    assert figures["privépersoon"]["median length"] == len("@sanne haha dank je")


def test_signposts_do_not_match_inside_words():
    figures = realism.by_label([{"text": "Spaarpot, gladde weg, cupcake", "label": "partijpoliticus"}])
    assert figures["partijpoliticus"]["signpost"] == 0.0


def test_content_words_leave_out_links_mentions_hashtags_and_short_words():
    text = "@Minister_X Goed #Stikstof plan, lees https://t.co/Ab12 (LINK) én 2024 regels!"
    assert realism.content_words(text) == ["goed", "plan", "lees", "regels"]


def test_unseen_word_share_counts_every_occurrence():
    reference = ["De boeren demonstreren bij het provinciehuis"]
    texts = ["boeren boeren woningnood", "provinciehuis stikstof"]
    # occurrences: boeren, boeren, woningnood, provinciehuis, stikstof -> 2 of 5 unseen
    assert realism.unseen_word_share(reference, texts) == pytest.approx(2 / 5)
    assert realism.unseen_word_share(reference, []) == 0.0


def test_adversarial_reports_the_mean_and_spread_over_draws():
    written = [f"Mooie dag in het park met de hond nummer {i}" for i in range(20)]
    real = [f"Stemmen op lijst {i}: debat over stikstof en wonen" for i in range(20)]
    result = realism.adversarial(written, real, top=3, draws=2)
    assert result["n_each"] == 20
    assert len(result["aucs"]) == 2
    assert result["auc"] == pytest.approx(sum(result["aucs"]) / 2)
    assert result["auc"] > 0.95          # the two sets share no content word
    assert result["auc_sd"] >= 0.0
    assert len(result["real_features"]) == 3 and len(result["corpus_features"]) == 3


def test_form_measures_count_threads_media_links_sentences_and_register_words():
    from style_measures import FORM, shares

    posts = ["@anouk @karim Dank, we kijken ernaar. Morgen meer. Echt waar! https://t.co/a https://t.co/b",
             "Goed om te zien dat de brug vandaag wordt geopend https://t.co/c",
             "Ik zie geen reden voor een tweede debat?"]
    figures = shares(posts, FORM)
    assert figures["two or more links"] == pytest.approx(1 / 3)
    assert figures["a reply to two or more accounts"] == pytest.approx(1 / 3)
    assert figures["three or more sentences"] == pytest.approx(1 / 3)  # links do not end one
    assert figures["ends with a full stop (links aside)"] == 0
    assert figures['"om … te"'] == figures['"wordt" / "worden"'] == pytest.approx(1 / 3)
    assert figures['"ik"'] == figures['"geen"'] == figures["a question"] == pytest.approx(1 / 3)
    assert shares([], FORM) == dict.fromkeys(FORM, 0.0)
