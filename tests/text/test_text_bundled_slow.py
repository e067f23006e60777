"""The bundled models for real (slow: larger models): Qwen joined from its six chunks, Chinese writing,
a classical poem, and Gemma 3 270M continuing a text as a base model."""

import pytest

from muselab.engines import EngineError, LocalContext, run_task
from muselab.models import Registry

pytest.importorskip("llama_cpp")
pytestmark = pytest.mark.slow


def write(**fields):
    ctx = LocalContext()
    try:
        return run_task("text.generate", fields, ctx)
    finally:
        ctx.cleanup()


def test_qwen_is_joined_verified_and_writes_chinese(data_dir):
    info = Registry().ensure_local("qwen2.5-coder-0.5b-instruct")  # joins the six chunks into this data dir
    assert info.path.startswith(str(data_dir))
    outs = write(form="story", prompt="一只猫在月球上开了一家面馆", length="short", max_tokens=80, seed=1)
    text = outs[0].text
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in text) > 20, text
    assert outs[0].meta["language"] == "zh"


def test_qwen_classical_poem_is_checked(data_dir):
    outs = write(form="classical_poem", prompt="江南春雨", poem_form="七言绝句", max_tokens=80, seed=3, n=2)
    for o in outs:
        assert o.meta["form_check"]["form"] == "七言绝句"
        assert 1 <= o.meta["attempts"] <= 4


def test_gemma_base_model_continues_text(data_dir):
    outs = write(form="continue", mode="complete", model="gemma3-270m", max_tokens=24, seed=2,
                 text="The lighthouse had been dark for ten years, until one night")
    assert outs[0].text.strip()
    with pytest.raises(EngineError, match="base model"):
        write(form="free", prompt="hi", model="gemma3-270m")
