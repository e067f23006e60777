"""A model trained in the studio shows up in the writing studio's model list and writes there."""

from fastapi.testclient import TestClient

from muselab.api.app import create_app

POEM = "白日依山尽，黄河入海流。欲穷千里目，更上一层楼。\n"


def test_trained_gpt_is_listed_and_writes_in_complete_mode(sqlite_studio):
    studio = sqlite_studio
    with TestClient(create_app(studio), base_url="http://127.0.0.1") as client:
        up = client.post("/v1/works", files={"file": ("poem.txt", (POEM * 40).encode(), "text/plain")}).json()
        corpus = studio.wait(client.post("/v1/jobs", json={"task": "training.corpus_import", "recipe": {
            "input_work_ids": [up["id"]], "dedup": "none", "val_fraction": 0.2, "seed": 1}}).json()["id"], timeout=300)
        assert corpus.state == "succeeded", corpus.error
        trained = studio.wait(client.post("/v1/jobs", json={"task": "training.train_gpt", "recipe": {
            "corpus_work_id": corpus.work_ids[0], "n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 16,
            "max_steps": 150, "eval_interval": 50, "eval_batches": 1, "learning_rate": 0.01, "seed": 3}}).json()["id"],
            timeout=300)
        assert trained.state == "succeeded", trained.error
        model_id = trained.work_ids[0]

        listed = client.get("/v1/write/models").json()["items"]
        mine = [m for m in listed if m["name"] == f"work:{model_id}"]
        assert mine and mine[0]["kind"] == "trained" and mine[0]["chat"] is False

        recipe = {"form": "continue", "text": "白日依山", "model": f"work:{model_id}", "mode": "complete",
                  "max_tokens": 12, "temperature": 0.0, "n": 2, "seed": 4}
        job = studio.wait(client.post("/v1/jobs", json={"task": "text.generate", "recipe": recipe}).json()["id"],
                          timeout=300)
        assert job.state == "succeeded", job.error
        texts = [studio.library.get(w).text_content for w in job.work_ids]
        assert len(texts) == 2 and all(t for t in texts)
        assert set("".join(texts)) <= set(POEM), "it writes in its corpus's characters"

        chat = dict(recipe, mode="chat")
        failed = studio.wait(client.post("/v1/jobs", json={"task": "text.generate", "recipe": chat}).json()["id"],
                             timeout=60)
        assert failed.state == "failed" and "complete" in failed.error
