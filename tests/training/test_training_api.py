"""The API face and the Train page: a training job through /v1/jobs with live events, presets measured
on this machine, stop and resume from the kept checkpoint, and the page itself."""

import json
import time

from fastapi.testclient import TestClient

from muselab.api.app import create_app

TEXT = "\n\n".join(f"Letter {i}. My dear brother, I can no longer refuse myself the pleasure." for i in range(80))


def _corpus(client, studio):
    r = client.post("/v1/works", files={"file": ("letters.txt", TEXT.encode(), "text/plain")})
    assert r.status_code == 201, r.text
    r = client.post("/v1/jobs", json={"task": "training.corpus_import",
                                      "recipe": {"input_work_ids": [r.json()["id"]], "dedup": "exact", "seed": 1,
                                                 "val_fraction": 0.2}})
    job = studio.wait(r.json()["id"], timeout=300)
    assert job.state == "succeeded", job.error
    return job.work_ids[0]


def test_api_train_stop_resume_and_page(sqlite_studio):
    studio = sqlite_studio
    with TestClient(create_app(studio), base_url="http://127.0.0.1") as client:
        page = client.get("/train")
        assert page.status_code == 200 and "loss-chart" in page.text and "训练" in page.text
        assert any(p["path"] == "/train" for p in client.app.state.nav)

        listed = client.get("/v1/training/presets", params={"measure": False}).json()["items"]
        assert [p["name"] for p in listed] == ["tiny", "small", "medium"]
        presets = client.get("/v1/training/presets", params={"vocab_size": 60, "names": "tiny,small"}).json()["items"]
        assert all(p["seconds_per_step"] > 0 for p in presets)  # timed on this machine (medium: same code, slower)
        assert presets[0]["estimated_seconds"] < presets[1]["estimated_seconds"]
        assert client.get("/v1/training/presets", params={"names": "huge"}).status_code == 422

        corpus_id = _corpus(client, studio)
        recipe = {"corpus_work_id": corpus_id, "n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 16,
                  "max_steps": 100000, "eval_interval": 20, "eval_batches": 1, "checkpoint_interval": 20, "seed": 5}
        job = client.post("/v1/jobs", json={"task": "training.train_gpt", "recipe": recipe}).json()
        # wait for live progress with the chart fields, then stop the run
        deadline, seen = time.time() + 300, None
        while time.time() < deadline and seen is None:
            events = studio.queue.events(job["id"])
            seen = next((e for e in events if (e.get("data") or {}).get("val_loss") is not None), None)
            time.sleep(0.2)
        assert seen is not None, [(e["message"], e.get("data")) for e in studio.queue.events(job["id"])][-5:]
        assert {"step", "train_loss", "tokens_per_s", "eta_s"} <= seen["data"].keys()
        client.post(f"/v1/jobs/{job['id']}/cancel")
        stopped = studio.wait(job["id"], timeout=300)
        assert stopped.state == "cancelled", (stopped.state, stopped.error)
        checkpoint = client.get("/v1/works", params={"job_id": job["id"], "tag": "checkpoint"}).json()["items"]
        assert len(checkpoint) == 1

        resumed = client.post(f"/v1/training/runs/{job['id']}/resume")
        assert resumed.status_code == 201, resumed.text
        new_id = resumed.json()["id"]
        assert resumed.json()["recipe"]["resume_checkpoint_work_id"] == checkpoint[0]["id"]
        step_kept = client.get(f"/v1/works/{checkpoint[0]['id']}").json()["meta"]["step"]
        deadline, resumed_event = time.time() + 300, None
        while time.time() < deadline and resumed_event is None:
            resumed_event = next((e for e in studio.queue.events(new_id)
                                  if (e.get("data") or {}).get("resumed_from") is not None), None)
            time.sleep(0.2)
        assert resumed_event is not None and resumed_event["data"]["resumed_from"] == step_kept
        # it trains on from the kept step (the first report may come before its first new step on a busy machine)
        deadline, later = time.time() + 300, None
        while time.time() < deadline and later is None:
            later = next((e for e in studio.queue.events(new_id) if (e.get("data") or {}).get("step", 0) > step_kept),
                         None)
            time.sleep(0.2)
        assert later is not None and later["data"]["resumed_from"] == step_kept
        client.post(f"/v1/jobs/{new_id}/cancel")
        studio.wait(new_id, timeout=300)

        bad = client.post("/v1/training/runs/nope/resume")
        assert bad.status_code == 404
        again = client.post(f"/v1/training/runs/{stopped.id}/resume")
        assert again.status_code == 201  # a stopped run can be resumed more than once
        client.post(f"/v1/jobs/{again.json()['id']}/cancel")
        studio.wait(again.json()["id"], timeout=300)
        assert json.loads(json.dumps(client.get("/v1/tasks").json()))  # every training recipe has a schema
        names = {t["name"] for t in client.get("/v1/tasks").json()["items"]}
        assert {"training.train_gpt", "training.corpus_get", "training.federated"} <= names
