"""What a transformer model folder's ``tokenizer.json`` may contain.

The fast tokenizer runs user-supplied regular expressions in a backtracking engine: a
pattern such as ``(a|a)+$`` hangs the process or panics on a short post. Only the
components the supported encoders are built with are accepted (BERT/WordPiece, RoBERTa
byte-level BPE, SentencePiece Unigram), and no regular expression except the few that
published tokenizers ship (:data:`KNOWN_PATTERNS`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...errors import ModelFileError

NORMALIZERS = {"BertNormalizer", "Lowercase", "NFC", "NFD", "NFKC", "NFKD", "Nmt", "Precompiled",
               "Prepend", "Replace", "Sequence", "Strip", "StripAccents"}
PRE_TOKENIZERS = {"BertPreTokenizer", "ByteLevel", "CharDelimiterSplit", "Digits", "Metaspace",
                  "Punctuation", "Sequence", "Split", "UnicodeScripts", "Whitespace",
                  "WhitespaceSplit"}
MODELS = {"BPE", "Unigram", "WordLevel", "WordPiece"}
KNOWN_PATTERNS = {" {2,}"}  # XLM-R / multilingual-e5: collapse runs of spaces


def _components(node: Any) -> list[dict[str, Any]]:
    """A component and, for ``Sequence``, its members (one level, as tokenizers nests)."""
    if not isinstance(node, dict):
        return []
    members = node.get("normalizers") or node.get("pretokenizers") or []
    return [node, *(m for m in members if isinstance(m, dict))]


def _regexes(node: Any) -> list[str]:
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "Regex" in item:
                found.append(str(item["Regex"]))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def check_tokenizer(data: bytes, where: Path) -> None:
    """Refuse a ``tokenizer.json`` with unknown component types or user regexes.

    Raises
    ------
    ModelFileError
        Invalid JSON, a normalizer, pre-tokenizer or model type outside the allow-list, or
        a regular expression pattern that is not one of :data:`KNOWN_PATTERNS`.
    """
    try:
        spec = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"{where}: not valid JSON ({str(exc)[:100]})") from None
    if not isinstance(spec, dict):
        raise ModelFileError(f"{where}: not a tokenizer description")
    for key, allowed in (("normalizer", NORMALIZERS), ("pre_tokenizer", PRE_TOKENIZERS),
                         ("model", MODELS)):
        for part in _components(spec.get(key)):
            kind = part.get("type", "BPE" if key == "model" else None)
            if kind not in allowed:
                raise ModelFileError(f"{where}: {key} type {kind!r:.40} is not accepted "
                                     f"(accepted: {', '.join(sorted(allowed))})")
    for key in ("normalizer", "pre_tokenizer", "post_processor", "decoder"):
        unknown = [p for p in _regexes(spec.get(key)) if p not in KNOWN_PATTERNS]
        if unknown:
            raise ModelFileError(f"{where}: {key} carries a regular expression {unknown[0]!r:.60}; "
                                 "user regexes can hang the tokenizer and are refused")
