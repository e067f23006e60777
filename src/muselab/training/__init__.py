"""Train your own: corpora, tokenizers, GPT/LSTM training, LoRA fine-tuning, compression, private training."""

from muselab.engines import TaskSpec

_R = "muselab.training.recipe"
_E = "muselab.training.engine"
_RESUME = "resume_checkpoint_work_id"  # a stopped run continues from the checkpoint Work it kept

TASKS = [
    TaskSpec("training.corpus_import", f"{_R}:CorpusImportRecipe", f"{_E}:corpus_import", "Import a corpus"),
    TaskSpec("training.corpus_get", f"{_R}:CorpusGetRecipe", f"{_E}:corpus_get",
             "Get a public corpus (chinese-poetry)"),
    TaskSpec("training.train_gpt", f"{_R}:TrainGPTRecipe", f"{_E}:train_gpt", "Train a GPT", _RESUME),
    TaskSpec("training.train_lstm", f"{_R}:TrainLSTMRecipe", f"{_E}:train_lstm", "Train an LSTM", _RESUME),
    TaskSpec("training.finetune_lora", f"{_R}:FinetuneLoRARecipe", "muselab.training.lora:finetune",
             "Fine-tune a pretrained model (LoRA)", _RESUME),
    TaskSpec("training.sample", f"{_R}:SampleRecipe", f"{_E}:sample", "Sample from a trained model"),
    TaskSpec("training.quantize", f"{_R}:QuantizeRecipe", f"{_E}:quantize", "Quantize a model (int8)"),
    TaskSpec("training.prune", f"{_R}:PruneRecipe", f"{_E}:prune", "Prune a model"),
    TaskSpec("training.distill", f"{_R}:DistillRecipe", f"{_E}:distill", "Distil a model into a smaller one"),
    TaskSpec("training.federated", f"{_R}:FederatedRecipe", "muselab.training.federated:run",
             "Federated training (Flower)"),
]
