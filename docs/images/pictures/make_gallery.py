"""Re-make the gallery in docs/pictures.md: /work/venv/bin/python docs/images/pictures/make_gallery.py

Each picture is rendered by the real engine at 512 px and saved at 256 px (small committed PNGs).
"""

import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "src"))

from PIL import Image  # noqa: E402

from muselab.engines import LocalContext, run_task  # noqa: E402

GALLERY = [
    # file, prompt (the generator, palette, mood... are picked from the prompt), seed
    ("inkwash_zh", "水墨山水，烟雨孤舟，飞鸟", 7),
    ("inkwash_en", "misty ink wash mountains with a red seal, minimal", 3),
    ("landscape_zh", "日落时分的大海与群山", 11),
    ("landscape_en", "moonlit lake under starry night, misty hills", 5),
    ("flow_zh", "霓虹流动的漩涡", 2),
    ("flow_en", "a calm flow field like ocean currents", 8),
    ("bauhaus_zh", "包豪斯几何构成，敦煌壁画色", 4),
    ("bauhaus_en", "bauhaus geometric shapes, centered", 9),
    ("pattern_cloud_zh", "青花瓷云纹纹样", 1),
    ("pattern_lattice_en", "a seamless lattice window pattern, palace colours", 6),
    ("pattern_waves_zh", "青海波图案，江南", 2),
    ("pattern_fret_en", "greek key fret pattern, autumn", 3),
    ("gradient_zh", "梦幻的渐变背景，桃花", 12),
    ("gradient_en", "aurora gradient background, nordic", 4),
    ("poster_zh", '春节海报 "新年快乐" 副标题', 21),
    ("poster_en", "poster for a jazz night “Blue Notes”, centered", 5),
]


def save_small(data: bytes, name: str, size: int = 256) -> None:
    im = Image.open(io.BytesIO(data)).convert("RGB")
    im.thumbnail((size, size), Image.LANCZOS)
    im.save(HERE / f"{name}.png", optimize=True)


def main() -> None:
    if sys.argv[1:] == ["--train-only"]:
        return train_example()
    ctx = LocalContext()
    for name, prompt, seed in GALLERY:
        out = run_task("image.paint", {"prompt": prompt, "width": 512, "height": 512, "seed": seed}, ctx)[0]
        save_small(out.read_bytes(), name)
        print(name, out.meta["generator"], prompt)
    # style transfer: a generated landscape as the "photo", before and after
    photo = run_task(
        "image.paint", {"prompt": "sunset over the sea, mountains", "width": 512, "height": 384, "seed": 11}, ctx
    )[0]
    (HERE / "_photo.png").write_bytes(photo.read_bytes())
    sctx = LocalContext(inputs={"p": HERE / "_photo.png"})
    save_small(photo.read_bytes(), "style_before", 320)
    for style in ("7", "19"):
        out = run_task("image.style", {"photo_work_id": "p", "style": style, "seed": 1}, sctx)[0]
        save_small(out.read_bytes(), f"style_after_{style}", 320)
    (HERE / "_photo.png").unlink()
    train_example()


def train_example() -> None:
    """A VAE trained on 160 small landscapes made by the landscape generator: samples and a latent walk."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "landscapes"
        folder.mkdir()
        ctx = LocalContext()
        for seed in range(160):
            out = run_task(
                "image.paint",
                {
                    "generator": "landscape",
                    "width": 64,
                    "height": 64,
                    "seed": seed,
                    "palette": ["sunset", "night", "ocean", "forest"][seed % 4],
                },
                ctx,
            )[0]
            (folder / f"l{seed:03d}.png").write_bytes(out.read_bytes())
        tctx = LocalContext(workdir=Path(tmp) / "job")
        outs = run_task(
            "image.train_vae",
            {
                "images_dir": str(folder),
                "image_size": 64,
                "epochs": 40,
                "batch_size": 32,
                "latent_dim": 32,
                "base_channels": 16,
                "patience": 8,
                "seed": 1,
            },
            tctx,
        )
        training = outs[0].meta["training"]
        print("vae", training["epochs_run"], training["initial_score"], training["best_score"])
        sctx = LocalContext(inputs={"m": outs[0].path, "a": folder / "l000.png", "b": folder / "l003.png"})
        grid = run_task("image.sample", {"model_work_id": "m", "n": 16, "upscale": 1, "seed": 2}, sctx)[0]
        save_small(grid.read_bytes(), "vae_samples", 280)
        walk = run_task(
            "image.interpolate",
            {"model_work_id": "m", "from_work_id": "a", "to_work_id": "b", "steps": 8, "upscale": 1, "seed": 1},
            sctx,
        )[0]
        save_small(walk.read_bytes(), "vae_walk", 560)
        save_small(outs[1].read_bytes(), "vae_training_grid", 280)
        import shutil

        shutil.copyfile(folder / "l000.png", HERE / "vae_input_example.png")


if __name__ == "__main__":
    main()
