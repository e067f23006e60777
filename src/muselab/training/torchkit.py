"""The habits every torch trainer in the studio shares: how many threads, how a file is written, what a model
file and a checkpoint are called.

The bottom of the training package: it imports nothing of Muselab, and torch only when a function runs, so any
module (or another domain training its own networks) can use it without an import cycle or a torch install.
"""

from __future__ import annotations

import os
from pathlib import Path

MODEL_MEDIA_TYPE = "application/x-muselab-model"  # a trained model file (modelfile.FORMAT): weights, tokenizer, card
CHECKPOINT_MEDIA_TYPE = "application/x-muselab-checkpoint"  # a stopped run's training state, to resume it


def set_threads(at_most: int | None = None) -> int:
    """Use the cores this process may run on (2 on the dev machine), minus those other work keeps busy.

    On a shared, busy machine two OpenMP threads fighting for one free core are many times slower
    than one thread (measured here: 543 vs 17 ms per step at load 6 on 2 cores), so the 1-minute
    load average lowers the count. `at_most` caps it (e.g. 1 for each client of a simulation).
    MUSELAB_TORCH_THREADS overrides the choice. torch's count is process-wide; the number set is returned.
    """
    import torch

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    forced = os.environ.get("MUSELAB_TORCH_THREADS")
    if forced and forced.isdigit() and int(forced) > 0:
        n = int(forced)
    else:
        try:
            busy = os.getloadavg()[0]
        except OSError:
            busy = 0.0
        n = max(1, min(cores, round(cores - busy + 0.5)))
    if at_most is not None:
        n = max(1, min(n, at_most))
    torch.set_num_threads(n)
    return n


def atomic_save(obj, path: Path) -> None:
    """torch.save to a temporary file, flushed to disk, then renamed: a crash mid-write never corrupts the
    previous file."""
    import torch

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
