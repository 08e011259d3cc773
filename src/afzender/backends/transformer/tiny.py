"""Small local encoders built from a config and a tokenizer trained on given texts.

Tests and benchmarks use these to run the real training, saving and loading code without
downloading anything. ``size="base"`` gives RobBERT-base dimensions (random weights), for
speed measurements.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

SIZES = {
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
             "intermediate_size": 128},
    "base": {"hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
             "intermediate_size": 3072},
}


def make_encoder(texts: Iterable[str], path: str | Path, *, size: str = "tiny",
                 vocab_size: int = 4000, seed: int = 0) -> Path:
    """Train a WordPiece tokenizer on ``texts`` and save a randomly initialised BERT-style
    encoder of the given ``size`` with it to ``path``; return ``path``."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    path = Path(path)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.train_from_iterator(list(texts), trainers.WordPieceTrainer(
        vocab_size=vocab_size, special_tokens=special, show_progress=False))
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]",
                                   pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]",
                                   mask_token="[MASK]", model_max_length=512)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tokenizer.get_vocab_size(), max_position_embeddings=514,
                        num_labels=3, **SIZES[size])
    model = BertForSequenceClassification(config)
    model.save_pretrained(path, safe_serialization=True)
    fast.save_pretrained(path)
    return path
