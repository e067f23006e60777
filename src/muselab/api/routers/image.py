"""Pictures over HTTP: the Paint page, and small helpers it uses. Generation itself goes through
POST /v1/jobs with tasks image.paint, image.style, image.train_gan, image.train_vae, image.sample,
image.interpolate, image.diffuse, image.remote, image.edit."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from muselab.api.deps import get_studio
from muselab.errors import InvalidInput, TooLarge
from muselab.studio import Studio
from muselab.web import render

router = APIRouter()
PAGE = {"title": "Paint", "subtitle": "绘画", "path": "/paint", "order": 40}
MAX_INFO_BYTES = 64 << 20


@router.get("/paint", response_class=HTMLResponse, include_in_schema=False)
def paint_page(request: Request):
    from muselab.image.generators import NAMES
    from muselab.image.palettes import palette_info
    from muselab.image.prompt_rules import COMPOSITIONS, MOODS, MOTIFS

    return render(
        request,
        "image.html",
        generators=NAMES,
        palettes=palette_info(),
        moods=MOODS,
        compositions=COMPOSITIONS,
        motifs=MOTIFS,
        styles=list(range(26)),
    )


@router.get("/v1/image/palettes", tags=["image"])
def palettes():
    """The named palettes (Western and traditional Chinese colours) with their colours."""
    from muselab.image.palettes import palette_info

    return {"items": palette_info()}


@router.get("/v1/image/servers", tags=["image"])
def image_servers(studio: Studio = Depends(get_studio)):
    """The image servers the owner registered (`muselab image servers add`); image.remote recipes name one."""
    from muselab.models.registry import Registry

    return {"items": [{"name": s.name, "api": s.api, "title": s.title, "has_api_key": s.public()["has_api_key"]}
                      for s in Registry(studio.settings.models_dir).image_servers()]}


@router.get("/v1/image/plan", tags=["image"])
def plan(prompt: str = Query("", max_length=2000)):
    """What a prompt picks on its own: generator, palette, mood, composition, motif, features, title."""
    from muselab.image.recipe import PaintRecipe

    recipe = PaintRecipe(prompt=prompt)
    return recipe.model_dump(include={"generator", "palette", "mood", "composition", "motif", "features", "title"})


@router.post("/v1/image/info", tags=["image"])
async def picture_info(file: UploadFile = File(...)):
    """Read the recipe and A1111 parameters embedded in a picture ("restore from image")."""
    from muselab.engines import EngineError
    from muselab.image.pnginfo import read_info

    data = await file.read(MAX_INFO_BYTES + 1)
    if len(data) > MAX_INFO_BYTES:
        raise TooLarge(f"picture is larger than {MAX_INFO_BYTES >> 20} MB", "file")
    try:
        return read_info(data)
    except EngineError as exc:
        raise InvalidInput(str(exc), "file") from None
