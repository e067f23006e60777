"""Tokenizers round-trip Chinese and English text, and survive saving with a model."""

import pytest

from muselab.training.tokenizer import UNK, BPETokenizer, CharTokenizer, tokenizer_from_dict, train_tokenizer

ZH = "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n"
EN = "It is a truth universally acknowledged, that a single man in possession of a good fortune...\n"


@pytest.mark.parametrize("text", [ZH, EN, ZH + EN])
def test_char_round_trip(text):
    tok = CharTokenizer.train(text)
    ids = tok.encode(text)
    assert len(ids) == len(text) and tok.decode(ids) == text
    again = tokenizer_from_dict(tok.to_dict())
    assert again.encode(text) == ids
    seen = text[0]
    assert tok.decode(tok.encode(seen + "鷟")) == seen + UNK  # unseen characters become the replacement character


@pytest.mark.parametrize("text", [ZH * 20, EN * 20, (ZH + EN) * 10])
def test_bpe_round_trip_and_compresses(text):
    tok = BPETokenizer.train(text, vocab_size=300)
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert len(ids) < len(text.encode("utf-8"))  # merges learned: fewer tokens than bytes
    again = tokenizer_from_dict(tok.to_dict())
    assert again.encode(text) == ids
    novel = "秋风清，秋月明。Unseen words round-trip too."
    assert tok.decode(tok.encode(novel)) == novel


def test_unknown_tokenizer_is_refused():
    from muselab.engines import EngineError

    with pytest.raises(EngineError, match="accepted: char, bpe"):
        train_tokenizer("wordpiece", "abc")
