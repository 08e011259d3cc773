"""The optional C scoring core (afzender._fastcore) against the numpy path."""

import os
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import afzender
from afzender.backends.linear import model as linear
from afzender.backends.linear.model import LinearModel
from afzender.calibration import softmax
from afzender.features import _SALTS
from afzender.text import MAX_CHARS, normalize_joined, prejoin

# AFZENDER_REQUIRE_FASTCORE=1 (set by .ci/run): a missing or stale C core fails these tests
# instead of skipping them, so a failed C build cannot leave CI green.
REQUIRE_CORE = os.environ.get("AFZENDER_REQUIRE_FASTCORE") == "1"
needs_core = pytest.mark.skipif(linear._fastcore is None and not REQUIRE_CORE,
                                reason="afzender._fastcore is not built")

TRICKY = [
    "Kijk: https://t.co/abc @USER #Corona!",
    "https://t.co/a\u200bb\u200dc en http://x.nl/\u00ady?q=1 klaar",
    "http://\u200b", "https:// los", "http:/x.nl", "httpS://x.nl", "hhttps://a", "wwww.x.nl",
    "Zie (LINK) en [Link] en (link)(link) en [link]x en (lin k) en www.rijksoverheid.nl/x",
    "www. www.a www.\u3000b", "(\u200blink)", "link(link)link",
    "🎉🎉 emoji's 👩‍👩‍👧 ❤️ 🇳🇱 🧵",
    "مرحبا بالعالم \u200f123\u200e שלום עולם",
    "Café cafe\u0301 e\u0301e\u0301 \u0301\u0301 \ufb01 ﷺ Ⅻ ½ ２０２０",
    "0 1 2 3 4 5 6 7 8 9 10/11 ٣٤ 1,5% €30.000",
    "x\ud800y \udfff z", "\ud83d", "a\x00b\x00\x00c", "", " ", "  \t\n ",
    "\x00", "tab\tnew\nline\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029\u3000\xa0end",
    "@user @User_1 #tag #Tag2 e-mail@adres.nl a_b __ ##@@",
    "\u2066isolate\u2069 \u202aembed\u202c \ufeffbom \ufe0f\ufe0e",
    "\x01\x02\x7f\x80\x9f control",
    "Σίσυφος ΣΑΣ ΌΣΟΣ İstanbul ß ẞ",
    "a" * 25_000,
    ("word https://t.co/" + "x" * 50 + " (LINK) 🎉 ") * 900,
    "\ufdfa" * (MAX_CHARS + 10),
]


@pytest.fixture(autouse=True)
def _core_enabled(monkeypatch):
    monkeypatch.delenv("AFZENDER_NO_FASTCORE", raising=False)
    if REQUIRE_CORE and linear.fastcore() is None:
        pytest.fail("AFZENDER_REQUIRE_FASTCORE=1 but afzender._fastcore is not built or is stale")


def numpy_logits(model: LinearModel, texts: list[str]) -> np.ndarray:
    with mock.patch.object(linear, "_fastcore", None):
        assert linear.fastcore() is None
        return model.logits(texts)


def random_model(char_ngrams: tuple[int, ...], bits: int = 16, seed: int = 0) -> LinearModel:
    """Random weights: every distinct feature scores differently, so any difference in
    normalisation, hashing or evidence counting between the two paths shows."""
    rng = np.random.default_rng(seed)
    return LinearModel(weights=rng.normal(size=(3, 2**bits)), bias=rng.normal(size=3), bits=bits,
                       temperature=0.7, char_ngrams=char_ngrams,
                       prior=np.array([0.2, 0.5, 0.3]), evidence_k=0.7)


def assert_same(model: LinearModel, texts: list[str]) -> None:
    fast = model.logits(texts)
    slow = numpy_logits(model, texts)
    assert fast.shape == slow.shape == (len(texts), 3)
    assert np.abs(softmax(fast) - softmax(slow)).max(initial=0) <= 1e-9
    assert np.allclose(fast, slow, rtol=1e-12, atol=1e-12)


def test_extension_is_built():
    """The C core must be compiled wherever a C compiler was available at install time."""
    if linear._fastcore is not None:
        assert linear.fastcore() is linear._fastcore
        return
    package = Path(afzender.__file__).parent
    built = [p.name for p in package.iterdir() if p.name.startswith("_fastcore.") and p.suffix != ".c"]
    assert not built, f"afzender._fastcore was built ({built}) but does not import"
    if REQUIRE_CORE:
        pytest.fail("afzender._fastcore was not compiled")
    pytest.skip("afzender._fastcore did not compile at install time (no C compiler?); "
                "the numpy path is used")


@needs_core
def test_salts_match_features():
    assert linear._fastcore.SALTS == {name: int(salt) for name, salt in _SALTS.items()}


@needs_core
def test_env_var_forces_numpy_path(monkeypatch, default_model):
    monkeypatch.setenv("AFZENDER_NO_FASTCORE", "1")
    assert linear.fastcore() is None
    backend = default_model.backend.linear
    assert np.array_equal(backend.logits(TRICKY[:5]), numpy_logits(backend, TRICKY[:5]))


@needs_core
def test_tricky_posts_default_model(default_model):
    backend = default_model.backend.linear
    assert_same(backend, TRICKY)
    for text in TRICKY:
        assert_same(backend, [text])
    fast = backend.predict_proba(TRICKY)
    assert np.abs(fast - backend.reference_proba(TRICKY)).max() <= 1e-6


@needs_core
@pytest.mark.parametrize("char_ngrams", [(1,), (2,), (1, 2, 3, 4, 5, 6, 7, 8), (5, 3), (3, 3), ()])
def test_tricky_posts_every_group(char_ngrams):
    model = random_model(char_ngrams)
    assert_same(model, TRICKY)
    for texts in ([""], ["  "], [" \t"], ["", ""], ["", "a"], ["a", ""], ["\x00"], []):
        assert_same(model, texts)
    # a post without words scores the same alone as inside a batch
    alone = model.predict_proba([""])[0]
    assert np.array_equal(alone, model.predict_proba(["", "a"])[0])
    assert np.array_equal(alone, model.predict_proba(["a", " "])[1])


@needs_core
@pytest.mark.parametrize("threads", [None, 1, 2, 3, 7])
def test_thread_splits_are_identical(threads):
    model = random_model((1, 3, 4, 5), bits=18, seed=1)
    texts = [TRICKY[i % 24] + f" post {i}" for i in range(linear.SPLIT_ABOVE * 2 + 3)]
    core = linear._fastcore
    whole = core.scores(prejoin(texts), model.weights, model.bits, model.char_ngrams, True)
    split = model.raw_scores(texts, threads)
    assert np.array_equal(split[0], whole[0] + model.bias) and np.array_equal(split[1], whole[1])
    assert_same(model, texts)


@needs_core
def test_evidence_counts_match_the_numpy_path():
    from afzender.features import occurrences

    texts = TRICKY + ["", "Mooi!", "👍", "https://t.co/abc123", "@USER 👍", "#D66 !", "## @@ # @",
                      "_ é ½ 0 ! ́", "Stem op ons"]
    _, evidence = linear._fastcore.scores(prejoin(texts), np.zeros((3, 2**8)), 8, (3,), True)
    assert np.array_equal(evidence, occurrences(normalize_joined(texts), 8).evidence)
    assert list(evidence[-9:]) == [0, 1, 0, 0, 0, 1, 0, 5, 3]  # ½ is 0 ⁄ 0


def test_zero_posts_give_zero_rows(default_model):
    for model in (default_model.backend.linear, random_model((3, 4))):
        assert model.logits([]).shape == (0, 3)
        assert numpy_logits(model, []).shape == (0, 3)
        assert model.predict_proba([]).shape == (0, 3)


@needs_core
def test_bad_arguments_are_refused():
    core, weights = linear._fastcore, np.zeros((3, 2**8))
    with pytest.raises(ValueError):
        core.scores("a", weights, 9, (3,))
    with pytest.raises(ValueError):
        core.scores("a", weights.astype(np.float32), 8, (3,))
    with pytest.raises(ValueError):
        core.scores("a", np.asfortranarray(np.zeros((3, 2**8))).T, 8, (3,))
    with pytest.raises(ValueError):
        core.scores("a", weights, 8, (9,))
    with pytest.raises(TypeError):
        core.scores(b"a", weights, 8, (3,))


FRAGMENTS = ["http://", "https://", "www.", "(link)", "(LINK)", "[link]", "[Link]", "(", ")",
             "\u200b", "\u00ad", "\ufe0f", "\u202e", "\u2066", "\x00", " ", "\t", "\n", "\x1f",
             "\x85", "\u3000", "1", "9", "0", "@", "#", "_", "é", "\u0301", "🎉", "ß", "Σ", "İ",
             "\ufdfa", "\ud800", "\udfff", "a", "B", ".", "/", "x" * 40]
POST = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(FRAGMENTS)), max_size=15).map("".join)


@needs_core
@settings(max_examples=200, deadline=None)
@given(st.lists(POST, max_size=8))
def test_any_text_default_model(default_model, texts):
    assert_same(default_model.backend.linear, texts)


@needs_core
@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(), max_size=6),
       st.lists(st.integers(1, 8), min_size=1, max_size=4).map(tuple))
def test_any_text_any_groups(texts, char_ngrams):
    assert_same(random_model(char_ngrams, bits=12), texts)


BLOCK_CORE = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "afzender._fastcore":
            raise ImportError("blocked by the test")
sys.meta_path.insert(0, Block())
import pytest
sys.exit(pytest.main(sys.argv[1:]))
"""


@pytest.mark.skipif(os.environ.get("AFZENDER_CORE_BLOCKED") == "1", reason="the inner run")
@pytest.mark.parametrize("require", ["1", "0"])
def test_required_core_fails_instead_of_skipping(require, tmp_path):
    """With AFZENDER_REQUIRE_FASTCORE=1 a missing C core fails every core test (as in CI);
    without it they are skipped."""
    import subprocess
    import sys

    env = {**os.environ, "AFZENDER_REQUIRE_FASTCORE": require, "AFZENDER_CORE_BLOCKED": "1"}
    out = subprocess.run([sys.executable, "-c", BLOCK_CORE, __file__, "-q", "-p", "no:cacheprovider",
                          "-k", "salts or bad_arguments", "-rs"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    summary = out.stdout.strip().splitlines()[-1]
    if require == "1":
        assert out.returncode != 0 and "skipped" not in summary, out.stdout[-2000:]
        assert "2 failed" in summary or "2 error" in summary, summary
    else:
        assert out.returncode == 0 and "2 skipped" in summary, out.stdout[-2000:]
