"""The one CLI job loop: Ctrl-C cancels the job and waits for the engine to stop before exiting."""

from __future__ import annotations

import os
import signal
import threading

import pytest
import typer

from muselab.cli import common


def test_ctrl_c_cancels_and_waits_for_the_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setattr(common, "_studio", None)
    studio = common.studio()
    job, _ = studio.submit("demo.text", {"prompt": "x", "steps": 50, "step_seconds": 0.05}, local=True)

    # A real Ctrl-C: SIGINT to this process while the loop waits (a KeyboardInterrupt inside Thread.join
    # used to leave the engine running after the CLI had exited).
    timer = threading.Timer(0.6, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(typer.Exit) as stop:
        common.follow(job.id, common.JobView("demo.text", json_output=True))
    timer.join()
    assert stop.value.exit_code == 130
    final = studio.queue.get(job.id)
    assert final.state == "cancelled", "the engine had stopped and the job is settled when the CLI exits"
    studio.close()
    common._studio = None
