"""Tokenizers trained on the corpus and saved with the model: character-level and BPE.

Both serialise to a plain dict (strings only), so a model file loads with torch's weights_only.
"""

from __future__ import annotations

import json

from muselab.engines import EngineError

UNK = "\ufffd"  # the replacement character stands for characters the model never saw


class CharTokenizer:
    kind = "char"

    def __init__(self, chars: list[str]):
        if UNK not in chars:
            chars = [UNK, *chars]
        self.chars = chars
        self.stoi = {c: i for i, c in enumerate(chars)}
        self.unk_id = self.stoi[UNK]

    @classmethod
    def train(cls, text: str) -> CharTokenizer:
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        get = self.stoi.get
        return [get(c, self.unk_id) for c in text]

    def decode(self, ids) -> str:
        return "".join(self.chars[i] for i in ids)

    def unknown(self, text: str) -> set[str]:
        return {c for c in set(text) if c not in self.stoi}

    def to_dict(self) -> dict:
        return {"type": "char", "chars": "".join(self.chars)}


class BPETokenizer:
    """Byte-level BPE from Hugging Face `tokenizers`: any text (Chinese included) round-trips exactly."""

    kind = "bpe"

    def __init__(self, tok):
        self.tok = tok

    @classmethod
    def train(cls, text: str, vocab_size: int) -> BPETokenizer:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
            special_tokens=[],
        )
        lines = text.split("\n")
        tok.train_from_iterator((line + "\n" for line in lines), trainer=trainer, length=len(lines))
        return cls(tok)

    @property
    def vocab_size(self) -> int:
        return self.tok.get_vocab_size()

    def encode(self, text: str) -> list[int]:
        # split on newlines so very long texts encode line by line (fast, same ids)
        out: list[int] = []
        for enc in self.tok.encode_batch(text.splitlines(keepends=True)):
            out.extend(enc.ids)
        return out

    def decode(self, ids) -> str:
        return self.tok.decode(list(ids))

    def unknown(self, text: str) -> set[str]:
        return set()  # byte-level: nothing is unknown

    def to_dict(self) -> dict:
        return {"type": "bpe", "json": self.tok.to_str()}


def train_tokenizer(kind: str, text: str, vocab_size: int = 2000):
    if not text:
        raise EngineError("corpus: no training text to build a tokenizer from")
    if kind == "char":
        return CharTokenizer.train(text)
    if kind == "bpe":
        return BPETokenizer.train(text, vocab_size)
    raise EngineError(f"tokenizer: {kind!r} is not known; accepted: char, bpe")


def tokenizer_from_dict(data: dict):
    kind = data.get("type")
    if kind == "char":
        return CharTokenizer(list(data["chars"]))
    if kind == "bpe":
        from tokenizers import Tokenizer

        return BPETokenizer(Tokenizer.from_str(data["json"]))
    raise EngineError(f"model file: unknown tokenizer type {kind!r}")


def same_tokenizer(a, b) -> bool:
    return json.dumps(a.to_dict(), sort_keys=True) == json.dumps(b.to_dict(), sort_keys=True)
