from hypothesis import given, settings
from hypothesis import strategies as st

from afzender.text import MAX_CHARS, SEPARATOR, encoder_texts, normalize, normalize_joined


def test_normalize_examples():
    assert normalize("Kijk: https://t.co/abc @USER #Corona!") == "kijk : @user #corona !"
    assert normalize("Zie (LINK) en www.rijksoverheid.nl/x") == "zie en"
    assert normalize("Schandalig.") == "schandalig ."
    assert normalize("1/3 🧵") == "0 / 0 🧵"
    assert normalize("a\u2066b\u2069\tc\x00d") == "ab c d"  # bidi isolates vanish, NUL is a space
    assert normalize("") == ""


def test_lone_surrogate_and_long_text():
    assert normalize("x\ud800y") == "x \ufffd y"
    assert len(normalize("a" * (MAX_CHARS + 500))) == MAX_CHARS


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=6))
def test_batch_equals_one_by_one(texts):
    joined = normalize_joined(texts)
    parts = joined.split(SEPARATOR)[1:-1]
    assert len(parts) == len(texts)
    assert [p.strip(" ") for p in parts] == [normalize(t) for t in texts]


def test_encoder_texts_keep_case_and_drop_links():
    texts = ["Kijk LIVE mee: HTTPS://Example.org/X (LINK) met @USER!", "Zie WWW.Rijksoverheid.nl\u200b\tnu"]
    assert encoder_texts(texts) == ["Kijk LIVE mee: met @USER!", "Zie nu"]
