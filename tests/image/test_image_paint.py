import hashlib
import io

import numpy as np
import pytest
from PIL import Image
from pydantic import ValidationError

from muselab.engines import EngineError, LocalContext, run_task
from muselab.image.engine import paint_colors, render_paint
from muselab.image.generators import NAMES
from muselab.image.generators.pattern import tiles_for
from muselab.image.generators.common import Spec
from muselab.image.pnginfo import read_info
from muselab.image.recipe import PaintRecipe

SIZES = [(256, 256), (320, 200), (180, 300)]


def _render(generator, w, h, seed, **extra):
    r = PaintRecipe(generator=generator, width=w, height=h, seed=seed, title="测试 Test", **extra)
    img = render_paint(r, seed, paint_colors(r, LocalContext()))
    return img, hashlib.sha256(img.tobytes()).hexdigest()


@pytest.mark.parametrize("generator", NAMES)
def test_each_generator_is_deterministic_by_seed_at_several_sizes(generator):
    for w, h in SIZES:
        img, first = _render(generator, w, h, seed=11)
        assert img.size == (w, h) and img.mode == "RGB"
        _, again = _render(generator, w, h, seed=11)
        assert again == first, f"{generator} {w}x{h} not deterministic"
        _, other = _render(generator, w, h, seed=12)
        assert other != first, f"{generator} {w}x{h} ignores the seed"
        arr = np.asarray(img, np.float32)
        assert arr.std() > 5, f"{generator} {w}x{h} is nearly flat"


@pytest.mark.parametrize("motif", ["cloud", "lattice", "waves", "fret", "dots"])
def test_patterns_tile_seamlessly(motif):
    r = PaintRecipe(generator="pattern", motif=motif, width=480, height=360, seed=5)
    img = np.asarray(render_paint(r, 5, paint_colors(r, LocalContext())), np.int16)
    nx, ny = tiles_for(Spec(480, 360, 5, []))
    assert nx > 1 and ny > 1
    tw, th = 480 // nx, 360 // ny
    assert np.array_equal(img, np.roll(img, tw, axis=1)) and np.array_equal(img, np.roll(img, th, axis=0))
    # the wrap from the right edge to the left edge is as smooth as the picture's own neighbouring columns
    wrap = np.abs(img[:, 0] - img[:, -1]).mean()
    inner = np.abs(np.diff(img, axis=1)).mean()
    assert wrap <= inner * 3 + 1


def test_paint_end_to_end_candidates_with_embedded_recipe():
    ctx = LocalContext()
    outs = run_task(
        "image.paint", {"prompt": "水墨山水，烟雨孤舟", "width": 320, "height": 240, "n": 2, "seed": 41}, ctx
    )
    assert len(outs) == 2 and all(o.kind == "image" and o.media_type == "image/png" for o in outs)
    assert outs[0].read_bytes() != outs[1].read_bytes()
    info = read_info(outs[1].read_bytes())
    assert info["task"] == "image.paint"
    assert info["recipe"]["generator"] == "inkwash" and info["recipe"]["seed"] == 42 and info["recipe"]["n"] == 1
    assert "boat" in info["recipe"]["features"]
    assert info["parsed"]["seed"] == 42 and info["parsed"]["prompt"] == "水墨山水，烟雨孤舟"
    # the embedded recipe restores the same picture
    restored = run_task("image.paint", info["recipe"], LocalContext())[0]
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(restored.read_bytes()))),
        np.asarray(Image.open(io.BytesIO(outs[1].read_bytes()))),
    )
    assert ctx.events[-1][0] == 1.0 and ctx.events[-1][2]["image"].startswith("data:image/png;base64,")


def test_palette_from_a_users_picture(tmp_path):
    im = Image.new("RGB", (90, 60), (200, 30, 30))
    im.paste((20, 40, 160), (30, 0, 60, 60))
    im.paste((240, 220, 60), (60, 0, 90, 60))
    im.save(tmp_path / "three.png")
    ctx = LocalContext(inputs={"w1": tmp_path / "three.png"})
    out = run_task(
        "image.paint", {"generator": "bauhaus", "palette_work_id": "w1", "width": 128, "height": 128, "seed": 1}, ctx
    )[0]
    palette = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in out.meta["palette"]]
    for wanted in [(200, 30, 30), (20, 40, 160), (240, 220, 60)]:
        assert min(sum(abs(a - b) for a, b in zip(wanted, got, strict=True)) for got in palette) < 12
    assert out.parents == ["w1"]


def test_own_colours_and_limits():
    r = PaintRecipe(generator="gradient", colors=["#000000", "FFFFFF"], width=64, height=64, seed=1)
    assert r.colors == ["#000000", "#ffffff"]
    with pytest.raises(ValidationError, match="#rrggbb"):
        PaintRecipe(colors=["red", "#fff"])
    with pytest.raises(ValidationError, match="4096"):
        PaintRecipe(width=4097)
    with pytest.raises(ValidationError, match="unknown palette 'rainbow'"):
        PaintRecipe(palette="rainbow")
    with pytest.raises(ValidationError, match="Extra inputs"):
        PaintRecipe(colour="#fff")


def test_missing_font_is_a_clear_error():
    r = PaintRecipe(generator="poster", title="海报", font_path="/nope/font.ttf", width=128, height=128, seed=1)
    with pytest.raises(EngineError, match="font_path"):
        render_paint(r, 1, paint_colors(r, LocalContext()))


@pytest.mark.slow
@pytest.mark.parametrize("generator", NAMES)
def test_largest_size_renders(generator):
    img, _ = _render(generator, 4096, 2304, seed=3)
    assert img.size == (4096, 2304)
