"""Resume after SIGKILL: a real training process is killed mid-run and the job resumes from its
checkpoint with the same data order, ending with exactly the weights of an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from muselab.engines import Cancelled, LocalContext, run_task
from muselab.training.trainer import CKPT, CKPT_INFO

ROOT = Path(__file__).resolve().parents[2]
RECIPE = {"corpus_work_id": "c", "seed": 11, "n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 32,
          "batch_size": 8, "dropout": 0.1, "max_steps": 120, "eval_interval": 40, "eval_batches": 2,
          "checkpoint_interval": 10}
CHILD = """
import json, sys
from pathlib import Path
from muselab.engines import LocalContext, run_task
ctx = LocalContext(workdir=Path(sys.argv[1]), inputs={"c": Path(sys.argv[2])})
run_task("training.train_gpt", json.loads(sys.argv[3]), ctx)
print("FINISHED")
"""


def test_resume_after_sigkill_continues_with_the_same_data_order(english_corpus, tmp_path):
    killed_dir = tmp_path / "killed"
    killed_dir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MUSELAB_TORCH_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(killed_dir), str(english_corpus), json.dumps(RECIPE)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    info_path = killed_dir / CKPT_INFO
    deadline = time.time() + 120
    killed_at = None
    while time.time() < deadline and proc.poll() is None:
        if info_path.exists():
            try:
                info = json.loads(info_path.read_text())
            except json.JSONDecodeError:
                info = {}
            if info.get("step", 0) >= 30:
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = info["step"]
                break
        time.sleep(0.01)
    proc.wait(timeout=30)
    assert killed_at is not None, proc.stderr.read().decode()[-2000:]
    assert proc.returncode == -signal.SIGKILL
    ck = torch.load(killed_dir / CKPT, weights_only=True)
    assert not ck["finished"] and 30 <= ck["step"] < RECIPE["max_steps"]

    # the studio re-runs the same job with the same folder: training resumes from the checkpoint
    ctx = LocalContext(workdir=killed_dir, inputs={"c": english_corpus})
    resumed = run_task("training.train_gpt", RECIPE, ctx)[0]
    assert resumed.meta["resumed_from_step"] == ck["step"]
    assert any("resumed from step" in m for _, m, _ in ctx.events)

    ctx2 = LocalContext(workdir=tmp_path / "straight", inputs={"c": english_corpus})
    straight = run_task("training.train_gpt", RECIPE, ctx2)[0]
    assert straight.meta["resumed_from_step"] is None
    a = torch.load(resumed.path, weights_only=True)["state_dict"]
    b = torch.load(straight.path, weights_only=True)["state_dict"]
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a), "resumed run diverged from the uninterrupted one"
    assert resumed.meta["history"] == straight.meta["history"]

    # a run stopped by the user keeps its checkpoint as a Work; a new job resumes from it (`train resume`)
    def stop_at_40(fraction, message, preview):
        if preview and preview.get("step", 0) >= 40:
            stopped.cancel_event.set()

    stopped = LocalContext(workdir=tmp_path / "stopped", inputs={"c": english_corpus}, on_progress=stop_at_40)
    with pytest.raises(Cancelled):
        run_task("training.train_gpt", RECIPE, stopped)
    kept = stopped.emitted[-1]
    assert kept.kind == "data" and "checkpoint" in kept.tags and kept.meta["step"] >= 40
    ctx3 = LocalContext(workdir=tmp_path / "continued", inputs={"c": english_corpus, "ck": kept.path})
    continued = run_task("training.train_gpt", {**RECIPE, "resume_checkpoint_work_id": "ck"}, ctx3)[0]
    assert continued.meta["resumed_from_step"] == kept.meta["step"]
    c = torch.load(continued.path, weights_only=True)["state_dict"]
    assert all(torch.allclose(c[k], b[k], atol=1e-6) for k in c)
