"""A job is written only by the worker running it: a worker recovery gave up on can't overwrite its successor."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from muselab.demo.recipe import DemoRecipe
from muselab.engines import Output
from muselab.ids import utcnow
from muselab.jobs import worker
from muselab.jobs.models import SUCCEEDED, Job
from muselab.jobs.queue import LostJob

FAST = {"prompt": "x", "steps": 1, "step_seconds": 0}
A, B = "host-a:101:a.0", "host-b:202:b.0"


def take_over(studio, job_id: str) -> None:
    """Recovery declares worker A dead and re-queues the job; worker B claims it and reports progress."""
    assert studio.queue.recover(lambda wid: False if wid == A else None) == [(job_id, "queued")]
    assert studio.queue.claim(B, job_id=job_id).worker_id == B
    studio.queue.progress(job_id, 0.4, "B at work", {"text": "B's"}, persist_event=True, worker_id=B)


def test_a_worker_that_lost_its_job_cannot_write_to_it(studio):
    job, _ = studio.submit("demo.text", FAST)
    studio.queue.claim(A)
    studio.queue.progress(job.id, 0.2, "A at work", None, persist_event=True, worker_id=A)
    take_over(studio, job.id)
    before, events_before = studio.queue.get(job.id), studio.queue.events(job.id)

    with pytest.raises(LostJob) as lost:
        studio.queue.progress(job.id, 0.9, "A, late", {"text": "A's"}, persist_event=True, worker_id=A)
    assert lost.value.field == "job_id" and A in lost.value.message
    with pytest.raises(LostJob):
        studio.queue.finish(job.id, SUCCEEDED, message="A thinks it is done", worker_id=A)
    with pytest.raises(LostJob) as lost:
        studio.queue.add_work_event(job.id, "0" * 22, partial=False, worker_id=A)
    assert lost.value.work_id == "0" * 22
    with pytest.raises(LostJob):
        studio.queue.requeue(job.id, "A is stopping", worker_id=A)

    after = studio.queue.get(job.id)
    assert (after.state, after.worker_id, after.attempts) == ("running", B, 2)
    assert (after.progress, after.message, after.preview) == (0.4, "B at work", {"text": "B's"})
    assert after.work_ids == [] and after.heartbeat_at == before.heartbeat_at
    assert studio.queue.events(job.id) == events_before, "A added no events"
    assert studio.queue.finish(job.id, SUCCEEDED, worker_id=B).state == SUCCEEDED, "B still can"
    with pytest.raises(LostJob):
        studio.queue.finish(job.id, SUCCEEDED, worker_id=A)


def fake_task(monkeypatch, engine) -> None:
    class Spec:
        def recipe_class(self):
            return DemoRecipe

        def engine_function(self):
            return engine

    monkeypatch.setattr(worker, "get_task", lambda name: Spec())


def text_output(words: str) -> Output:
    return Output(kind="text", media_type="text/plain", data=words.encode(), title=words)


def test_run_job_stops_when_its_job_is_taken_over_and_labels_what_it_kept(studio, monkeypatch):
    job, _ = studio.submit("demo.text", FAST)
    reached = []

    def engine(recipe, ctx):
        ctx.emit(text_output("kept while A ran the job"))
        take_over(studio, job.id)
        ctx.emit(text_output("kept after B took over"))  # its work event is refused: LostJob
        reached.append("after the refused emit")
        return []

    fake_task(monkeypatch, engine)
    claimed = studio.queue.claim(A)
    assert worker.run_job(studio, claimed) == "running", "the job is B's now"
    assert reached == [], "the engine was stopped"
    works = {w.title: w for w in studio.library.list()[0]}
    assert set(works) == {"kept while A ran the job", "kept after B took over"}
    for work in works.values():
        assert work.status == "partial"
        assert work.meta["status_note"] == "kept by an attempt that lost the job to another worker"
    now = studio.queue.get(job.id)
    assert (now.state, now.worker_id, now.progress, now.message) == ("running", B, 0.4, "B at work")
    assert now.work_ids == [works["kept while A ran the job"].id], "only what A kept while it owned the job"
    assert studio.queue.events(job.id)[-1]["message"] == "B at work", "A wrote nothing after B took over"


def test_an_engine_that_swallows_lost_job_still_cannot_write(studio, monkeypatch):
    job, _ = studio.submit("demo.text", FAST)
    swallowed = []

    def careless_engine(recipe, ctx):
        take_over(studio, job.id)
        try:
            ctx.progress(0.9, "A, late")
        except Exception as exc:  # noqa: BLE001 - the kind of engine this test is about
            swallowed.append(exc)
        assert ctx.cancel_event.is_set(), "the engine's helpers are told to stop"
        return [text_output("returned after the job was lost")]

    fake_task(monkeypatch, careless_engine)
    assert worker.run_job(studio, studio.queue.claim(A)) == "running"
    assert isinstance(swallowed[0], LostJob)
    (work,) = studio.library.list()[0]
    assert work.status == "partial"
    now = studio.queue.get(job.id)
    assert (now.state, now.worker_id, now.work_ids, now.message) == ("running", B, [], "B at work")


def test_recovery_leaves_a_job_that_finished_after_it_looked(studio):
    job, _ = studio.submit("demo.text", FAST)
    studio.queue.claim(A)

    def is_alive(worker_id):  # called after recovery read the job, before it writes
        studio.queue.finish(job.id, SUCCEEDED, worker_id=A)
        return False

    assert studio.queue.recover(is_alive) == []
    assert studio.queue.get(job.id).state == SUCCEEDED, "not re-queued to run a second time"


def test_a_heartbeat_from_the_old_worker_does_not_keep_the_new_owner_alive(studio):
    job, _ = studio.submit("demo.text", FAST)
    studio.queue.claim(A)
    take_over(studio, job.id)

    def silence_for_ten_minutes():
        with studio.sessions.begin() as s:
            s.execute(update(Job).where(Job.id == job.id).values(heartbeat_at=utcnow() - timedelta(minutes=10)))

    silence_for_ten_minutes()
    studio.queue.heartbeat({job.id: B})
    assert studio.queue.recover(lambda wid: None) == [], "B's own heartbeat counts"
    silence_for_ten_minutes()
    studio.queue.heartbeat({job.id: A})
    assert studio.queue.recover(lambda wid: None) == [(job.id, "interrupted")], "A's does not (B's silence counts)"


def test_heartbeats_and_staleness_use_the_database_clock_on_postgresql(studio, monkeypatch):
    if studio.engine.dialect.name == "sqlite":
        pytest.skip("SQLite serves one machine: Python's clock is the database's")
    from muselab import db

    job, _ = studio.submit("demo.text", FAST)
    monkeypatch.setattr(db, "utcnow", lambda: utcnow() - timedelta(minutes=5))  # the worker's clock is slow
    studio.queue.claim(A)
    studio.queue.progress(job.id, 0.1, "A at work", None, persist_event=True, worker_id=A)
    monkeypatch.setattr(db, "utcnow", lambda: utcnow() + timedelta(minutes=5))  # the recovering one's is fast
    assert studio.queue.recover(lambda wid: None) == [], "fresh by the database's clock"
    with studio.sessions() as s:
        beat, db_now = s.execute(select(Job.heartbeat_at, func.now()).where(Job.id == job.id)).one()
    assert abs(db_now - beat) < timedelta(seconds=30)


def test_each_worker_thread_claims_under_its_own_id(studio):
    executor = studio.start_workers(2)
    jobs = [studio.submit("demo.text", {"prompt": f"slow {i}", "steps": 40, "step_seconds": 0.05})[0]
            for i in range(2)]
    deadline = time.monotonic() + 20
    while any(studio.queue.get(j.id).state != "running" for j in jobs) and time.monotonic() < deadline:
        time.sleep(0.05)
    owners = {studio.queue.get(j.id).worker_id for j in jobs}
    assert owners == {f"{executor.worker_id}.0", f"{executor.worker_id}.1"}
    assert executor.recover() == [], "its own threads count as alive"
    for j in jobs:
        studio.cancel(j.id)
    assert all(studio.wait(j.id, timeout=20).state == "cancelled" for j in jobs)
