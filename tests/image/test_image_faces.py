"""The picture studio's faces: CLI commands, the HTTP helpers and the Paint page, over a real studio."""

import json

from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from muselab.api.app import create_app


def test_api_paint_job_then_restore_from_the_picture(sqlite_studio):
    with TestClient(create_app(sqlite_studio), base_url="http://127.0.0.1") as client:
        plan = client.get("/v1/image/plan", params={"prompt": "青花瓷 云纹纹样"}).json()
        assert (plan["generator"], plan["palette"], plan["motif"]) == ("pattern", "qinghua", "cloud")
        names = [p["name"] for p in client.get("/v1/image/palettes").json()["items"]]
        assert "shanshui" in names and "sunset" in names
        r = client.post(
            "/v1/jobs",
            json={
                "task": "image.paint",
                "recipe": {"prompt": "日落 大海", "width": 160, "height": 120, "n": 2, "seed": 5},
            },
        )
        assert r.status_code == 201, r.text
        job = sqlite_studio.wait(r.json()["id"], timeout=60)
        assert job.state == "succeeded" and len(job.work_ids) == 2
        work = client.get(f"/v1/works/{job.work_ids[1]}").json()
        assert work["kind"] == "image" and work["has_thumbnail"]
        png = client.get(f"/v1/works/{job.work_ids[1]}/content").content
        info = client.post("/v1/image/info", files={"file": ("x.png", png, "image/png")}).json()
        assert info["task"] == "image.paint" and info["recipe"]["seed"] == 6
        assert info["recipe"]["generator"] == "landscape"
        bad = client.post("/v1/image/info", files={"file": ("x.png", b"not a picture", "image/png")})
        assert bad.status_code == 422 and bad.json()["field"] == "file"
        refused = client.post("/v1/jobs", json={"task": "image.paint", "recipe": {"width": 9000}})
        assert refused.status_code == 422 and "width" in refused.text


def test_paint_page_has_its_controls(sqlite_studio):
    with TestClient(create_app(sqlite_studio, start_workers=False), base_url="http://127.0.0.1") as client:
        page = client.get("/paint")
        assert page.status_code == 200
        html = page.text
        for marker in (
            'id="paint-form"',
            'id="seed-lock"',
            'id="seed-random"',
            'id="restore-drop"',
            'id="style-form"',
            'id="before-after"',
            'value="inkwash"',
            "青花",
            "/static/page-paint.js",
        ):
            assert marker in html, marker
        assert "/v1/image/info" in client.get("/static/page-paint.js").text  # the page's script, not inline
        assert 'href="/paint"' in client.get("/").text  # in the navigation


def test_cli_paint_info_and_style(tmp_path, monkeypatch, photo):
    import muselab.cli.common as common
    from muselab.cli.main import app

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setattr(common, "_studio", None)
    runner = CliRunner()
    out_dir = tmp_path / "out"
    result = runner.invoke(
        app, ["paint", "水墨山水", "--size", "200x150", "--seed", "3", "-n", "2", "--out", str(out_dir), "--json"]
    )
    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout)
    assert made["job"]["state"] == "succeeded" and len(made["works"]) == 2
    files = sorted(out_dir.glob("*.png"))
    assert len(files) == 2 and Image.open(files[0]).size == (200, 150)

    shown = runner.invoke(app, ["image", "info", str(files[0]), "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["recipe"]["generator"] == "inkwash" and data["recipe"]["seed"] in (3, 4)

    styled = runner.invoke(app, ["style", str(photo), "--style", "5", "--strength", "0.8", "--json"])
    assert styled.exit_code == 0, styled.output
    work = json.loads(styled.stdout)["works"][0]
    assert work["kind"] == "image" and len(work["parents"]) == 1

    wrong = runner.invoke(app, ["paint", "x", "--size", "big"])
    assert wrong.exit_code != 0 and "WIDTHxHEIGHT" in wrong.output
    missing = runner.invoke(app, ["train", "vae", str(tmp_path / "nowhere"), "--epochs", "1"])
    assert missing.exit_code != 0 and "images_dir" in missing.output
    common._studio.close()


def test_cli_train_gan_and_vae_can_join_another_group(tmp_path, monkeypatch, shapes_dir):
    """`add_train_commands` puts `gan`/`vae` into any group (the training domain's `muselab train`)."""
    import typer

    import muselab.cli.common as common
    from muselab.cli.image import add_train_commands

    monkeypatch.setenv("MUSELAB_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setattr(common, "_studio", None)
    train_app = typer.Typer()
    add_train_commands(train_app)
    result = CliRunner().invoke(
        train_app,
        [
            "vae",
            str(shapes_dir),
            "--image-size",
            "32",
            "--epochs",
            "2",
            "--batch-size",
            "8",
            "--latent-dim",
            "8",
            "--base-channels",
            "8",
            "--seed",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    works = json.loads(result.stdout)["works"]
    assert works[0]["kind"] == "model" and works[0]["media_type"] == "application/x-muselab-checkpoint"
    assert works[1]["kind"] == "image"
    common._studio.close()


def test_cli_sends_only_the_options_given_so_the_recipe_owns_the_defaults(monkeypatch, tmp_path):
    import muselab.cli.image as image_cli
    from muselab.cli.common import clean
    from muselab.cli.main import app

    sent = []
    monkeypatch.setattr(image_cli, "run_job", lambda task, recipe, **kw: sent.append((task, clean(recipe), kw)))
    runner = CliRunner()
    for args in (
        ["paint", "江南烟雨"],
        ["image", "sample", "m1"],
        ["image", "interpolate", "m1", "--steps", "5"],  # the old name of --frames still works
        ["image", "diffuse", "a cat", "--model-dir", str(tmp_path)],
        ["image", "remote", "a cat", "--server", "forge", "--steps", "12", "-n", "2"],
        ["train", "gan", str(tmp_path)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
    assert [(task, recipe) for task, recipe, _ in sent] == [
        ("image.paint", {"prompt": "江南烟雨"}),
        ("image.sample", {"model_work_id": "m1"}),
        ("image.interpolate", {"model_work_id": "m1", "steps": 5}),
        ("image.diffuse", {"model_dir": str(tmp_path.resolve()), "prompt": "a cat"}),
        ("image.remote", {"server": "forge", "prompt": "a cat", "steps": 12, "n": 2}),
        ("image.train_gan", {"images_dir": str(tmp_path.resolve())}),
    ]
    assert all(kw["out"] is None and kw["json_output"] is False for _, _, kw in sent)


def test_every_picture_command_that_prints_a_result_has_json_and_training_lives_in_train():
    import typer.main

    from muselab.cli.main import app

    cli = typer.main.get_command(app)

    def commands(group, path=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from commands(command, (*path, name))
            else:
                yield (*path, name), command

    picture_commands = [(path, c) for path, c in commands(cli)
                        if path[0] in ("paint", "style", "image") or path in (("train", "gan"), ("train", "vae"))]
    assert len(picture_commands) == 2 + 7 + 3 + 2  # paint, style; image …; image servers …; train gan|vae
    for path, command in picture_commands:
        assert "--json" in {opt for p in command.params for opt in p.opts}, path
    assert "train" not in cli.commands["image"].commands  # one way to train a GAN/VAE: `muselab train gan|vae`
