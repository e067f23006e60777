import io
import zlib
import struct

import pytest
from PIL import Image

from muselab.engines import EngineError, LocalContext, run_task
from muselab.image.pnginfo import a1111_parameters, encode_image, open_image, parse_parameters, read_info
from muselab.image.recipe import PaintRecipe


@pytest.mark.parametrize("fmt,media", [("png", "image/png"), ("jpeg", "image/jpeg"), ("webp", "image/webp")])
def test_parameters_and_recipe_round_trip(fmt, media):
    out = run_task(
        "image.paint",
        {"prompt": "青花云纹 pattern, 夜", "width": 200, "height": 160, "seed": 9, "format": fmt},
        LocalContext(),
    )[0]
    assert out.media_type == media and out.filename.endswith("jpg" if fmt == "jpeg" else fmt)
    info = read_info(out.read_bytes())
    assert info["format"] == {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}[fmt]
    recipe = PaintRecipe.model_validate(info["recipe"])
    assert recipe.prompt == "青花云纹 pattern, 夜" and recipe.seed == 9 and recipe.format == fmt
    assert info["task"] == "image.paint"
    parsed = info["parsed"]
    assert parsed["prompt"] == "青花云纹 pattern, 夜"
    assert parsed["seed"] == 9 and (parsed["width"], parsed["height"]) == (200, 160)
    assert parsed["Generator"] == "pattern"


def test_a1111_text_format_and_parser():
    text = a1111_parameters(
        "a cat, 猫", "blurry", Steps=20, Sampler="Euler a", **{"CFG scale": 7}, Seed=5, Size="512x768", Model="sd15"
    )
    assert text.splitlines() == [
        "a cat, 猫",
        "Negative prompt: blurry",
        "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: 512x768, Model: sd15",
    ]
    p = parse_parameters(text)
    assert (p["prompt"], p["negative_prompt"], p["steps"], p["seed"], p["width"], p["height"]) == (
        "a cat, 猫",
        "blurry",
        20,
        5,
        512,
        768,
    )
    assert p["guidance_scale"] == 7.0 and p["Sampler"] == "Euler a"


def test_reads_a1111_style_png_without_muselab_recipe():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "castle\nSteps: 30, Seed: 77, Size: 64x64, Model: x")
    buf = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buf, "PNG", pnginfo=info)
    got = read_info(buf.getvalue())
    assert got["recipe"] is None and got["parsed"]["seed"] == 77 and got["parsed"]["steps"] == 30


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\0" * 10))
        + chunk(b"IEND", b"")
    )


def test_bad_inputs_are_clear_errors(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_header_only(30000, 30000))  # 900 M pixels declared in a few bytes
    with pytest.raises(EngineError, match="photo_work_id.*limit"):
        open_image(bomb, field="photo_work_id")
    big = tmp_path / "big.png"
    big.write_bytes(_png_header_only(9000, 8000))  # 72 M pixels: above the 64 M limit, below Pillow's default
    with pytest.raises(EngineError, match="limit"):
        open_image(big, field="image_work_id")
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    with pytest.raises(EngineError, match="image_work_id.*not a picture"):
        open_image(text, field="image_work_id")
    good = tmp_path / "good.png"
    Image.new("RGB", (300, 300), "red").save(good)
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(EngineError, match="damaged|not a picture"):
        open_image(truncated, field="image_work_id")
    with pytest.raises(EngineError, match="not found"):
        open_image(tmp_path / "missing.png")
    # an edit of a bomb fails cleanly through the engine, naming the field
    with pytest.raises(EngineError, match="image_work_id"):
        run_task("image.edit", {"image_work_id": "b", "ops": [{"op": "upscale"}]}, LocalContext(inputs={"b": bomb}))


def test_encode_rejects_unknown_format():
    with pytest.raises(EngineError, match="accepted: png, jpeg, webp"):
        encode_image(Image.new("RGB", (8, 8)), "bmp")


def test_thumbnails_are_small_and_keep_the_aspect(tmp_path):
    from muselab.image.thumbs import thumbnail

    Image.new("RGB", (800, 400), "navy").save(tmp_path / "wide.png")
    for fmt, magic in (("webp", b"RIFF"), ("png", b"\x89PNG")):
        data = thumbnail(tmp_path / "wide.png", size=128, fmt=fmt)
        assert data.startswith(magic) and Image.open(io.BytesIO(data)).size == (128, 64)
