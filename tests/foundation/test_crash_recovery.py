"""A worker process killed with SIGKILL mid-job: on restart the job is found and re-run; nothing saved is lost."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from muselab.library.store import WorkFilter

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_sigkilled_worker_job_is_rerun_and_saved_work_survives(studio):
    saved = studio.run_here(studio.submit("demo.text", {"prompt": "已保存 saved", "steps": 1, "step_seconds": 0})[0].id)
    job, _ = studio.submit("demo.text", {"prompt": "interrupted", "steps": 30, "step_seconds": 0.1})

    env = {**os.environ, "PYTHONPATH": SRC, "MUSELAB_DATA_DIR": str(studio.settings.data_dir)}
    if studio.settings.database_url:
        env["MUSELAB_DATABASE_URL"] = studio.settings.database_url
    worker = subprocess.Popen([sys.executable, "-m", "muselab.cli.main", "worker", "--workers", "1"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            current = studio.queue.get(job.id)
            if current.state == "running" and current.progress >= 0.2:
                break
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.1)
        else:
            raise AssertionError(f"worker never got going: {studio.queue.get(job.id).state}")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()

    assert studio.queue.get(job.id).state == "running", "the dead worker left its job marked running"
    studio.start_workers(1)  # a restart: recovery finds the dead pid at once, no heartbeat wait
    final = studio.wait(job.id, timeout=60)
    assert final.state == "succeeded" and final.attempts == 2
    assert len(final.work_ids) == 1 and studio.library.list(WorkFilter(job_id=job.id))[1] == 1
    assert any("re-queued" in e["message"] for e in studio.queue.events(job.id))
    kept = studio.library.get(saved.work_ids[0])
    assert studio.library.content_path(kept).read_text().count("已保存") == 1
