"""The durable queue: priorities, idempotency, cancel, pause/resume, failure with partial output, recovery."""

import threading
import time

import pytest

from muselab.errors import Conflict, InvalidInput
from muselab.jobs.queue import STALE_AFTER
from muselab.library.store import WorkFilter

FAST = {"steps": 1, "step_seconds": 0}


def test_submit_validates_recipe_and_names_the_field(studio):
    with pytest.raises(InvalidInput) as err:
        studio.submit("demo.text", {"prompt": "x", "steps": "many"})
    assert err.value.field == "recipe.steps"
    with pytest.raises(InvalidInput) as err:
        studio.submit("demo.text", {"prompt": "x", "colour": "red"})
    assert err.value.field == "recipe.colour" and "unknown field" in err.value.message
    with pytest.raises(InvalidInput) as err:
        studio.submit("no.such", {})
    assert err.value.field == "task" and "demo.text" in err.value.message
    assert studio.queue.list()[1] == 0, "nothing was queued"


def test_seed_is_filled_and_recorded(studio):
    job, _ = studio.submit("demo.text", {"prompt": "x", **FAST})
    assert isinstance(job.recipe["seed"], int)
    done = studio.run_here(job.id)
    assert studio.library.get(done.work_ids[0]).seed == job.recipe["seed"]


def test_priority_then_age_decides_the_order(studio):
    low, _ = studio.submit("demo.text", {"prompt": "low", **FAST}, priority=-5)
    first, _ = studio.submit("demo.text", {"prompt": "first", **FAST})
    second, _ = studio.submit("demo.text", {"prompt": "second", **FAST})
    high, _ = studio.submit("demo.text", {"prompt": "high", **FAST}, priority=10)
    order = [studio.queue.claim("test-worker").id for _ in range(4)]
    assert order == [high.id, first.id, second.id, low.id]
    assert studio.queue.claim("test-worker") is None


def test_idempotency_key_returns_the_first_job(studio):
    a, created_a = studio.submit("demo.text", {"prompt": "x", **FAST}, idempotency_key="req-1")
    b, created_b = studio.submit("demo.text", {"prompt": "x", **FAST}, idempotency_key="req-1")
    assert created_a and not created_b and a.id == b.id
    assert studio.queue.list()[1] == 1
    with pytest.raises(Conflict):
        studio.submit("demo.text", {"prompt": "different", **FAST}, idempotency_key="req-1")


def test_cancel_queued_job(studio):
    job, _ = studio.submit("demo.text", {"prompt": "x", **FAST})
    assert studio.cancel(job.id).state == "cancelled"
    assert studio.queue.claim("w") is None
    with pytest.raises(Conflict):
        studio.cancel(job.id)


def test_cancel_running_job_stops_it(studio):
    studio.start_workers(1)
    job, _ = studio.submit("demo.text", {"prompt": "slow", "steps": 200, "step_seconds": 0.05})
    deadline = time.monotonic() + 20
    while studio.queue.get(job.id).state != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    studio.cancel(job.id)
    final = studio.wait(job.id, timeout=20)
    assert final.state == "cancelled"
    assert final.progress < 1.0
    assert studio.library.list(WorkFilter(job_id=job.id))[1] == 0


def test_pause_holds_queued_jobs_and_resume_runs_them(studio):
    studio.queue.set_paused(True)
    studio.start_workers(1)
    job, _ = studio.submit("demo.text", {"prompt": "x", **FAST})
    time.sleep(1.2)
    assert studio.queue.get(job.id).state == "queued"
    studio.queue.set_paused(False)
    studio.executor.wake()
    assert studio.wait(job.id, timeout=20).state == "succeeded"


def test_failing_engine_fails_the_job_and_keeps_partial_output_labelled(studio):
    job, _ = studio.submit("demo.text", {"prompt": "x", "steps": 5, "step_seconds": 0, "fail_at_step": 3})
    final = studio.run_here(job.id)
    assert final.state == "failed"
    assert "step 3" in final.error
    partial = studio.library.get(final.work_ids[0])
    assert partial.status == "partial" and partial.meta["steps_done"] == 2
    assert partial.meta["status_note"] == "kept before the job failed"


def test_progress_events_are_stored_in_order(studio):
    job, _ = studio.submit("demo.text", {"prompt": "x", "steps": 3, "step_seconds": 0.15})
    studio.run_here(job.id)
    events = studio.queue.events(job.id)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    fractions = [e["fraction"] for e in events if e["type"] == "progress"]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) == 3
    assert events[-1]["data"]["state"] == "succeeded"
    assert any(e["type"] == "work" for e in events)


def test_recovery_requeues_then_marks_interrupted(studio):
    job, _ = studio.submit("demo.text", {"prompt": "x", **FAST})
    dead = "other-host:1:dead"
    claimed = studio.queue.claim(dead)
    assert claimed.attempts == 1
    assert studio.queue.recover(lambda wid: False) == [(job.id, "queued")]
    studio.queue.claim(dead)
    actions = studio.queue.recover(lambda wid: False)
    assert actions == [(job.id, "interrupted")]
    final = studio.queue.get(job.id)
    assert final.state == "interrupted" and "no attempts left" in final.error


def test_recovery_trusts_a_fresh_heartbeat_from_another_machine(studio):
    from datetime import timedelta

    from sqlalchemy import update

    from muselab.ids import utcnow
    from muselab.jobs.models import Job

    job, _ = studio.submit("demo.text", {"prompt": "x", **FAST})
    studio.queue.claim("elsewhere:123:abc")
    assert studio.queue.recover(lambda wid: None) == [], "fresh heartbeat: still running"
    with studio.sessions.begin() as s:
        s.execute(update(Job).where(Job.id == job.id).values(heartbeat_at=utcnow() - STALE_AFTER - timedelta(seconds=1)))
    assert studio.queue.recover(lambda wid: None) == [(job.id, "queued")]


def test_concurrent_workers_never_take_the_same_job(studio):
    for i in range(20):
        studio.submit("demo.text", {"prompt": f"j{i}", **FAST})
    taken, lock = [], threading.Lock()

    def grab(name):
        while (job := studio.queue.claim(name)) is not None:
            with lock:
                taken.append(job.id)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 20 and len(set(taken)) == 20


def test_clean_stop_requeues_running_job_instead_of_cancelling(studio):
    executor = studio.start_workers(1)
    job, _ = studio.submit("demo.text", {"prompt": "long", "steps": 100, "step_seconds": 0.05})
    deadline = time.monotonic() + 20
    while studio.queue.get(job.id).progress < 0.05 and time.monotonic() < deadline:
        time.sleep(0.05)
    executor.stop()
    studio.executor = None
    stopped = studio.queue.get(job.id)
    assert stopped.state == "queued" and stopped.attempts == 0, "a planned stop spends no attempt"
    assert "re-queued" in stopped.message
    studio.start_workers(1)
    final = studio.wait(job.id, timeout=60)
    assert final.state == "succeeded" and final.attempts == 1


def test_retry_starts_its_progress_afresh(studio):
    job, _ = studio.submit("demo.text", {"prompt": "x", **FAST})
    studio.queue.claim("gone:1:x")
    studio.queue.progress(job.id, 0.75, "far along", {"text": "old"}, persist_event=True, worker_id="gone:1:x")
    studio.queue.recover(lambda wid: False)
    again = studio.queue.claim("w")
    assert again.progress == 0.0 and again.preview is None
