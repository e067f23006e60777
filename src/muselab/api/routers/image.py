"""Pictures over HTTP: palettes, what a prompt picks, image servers, reading a picture's recipe.

Generation itself goes through POST /v1/jobs with an image.* task (GET /v1/tasks lists them with their
recipes' JSON schemas, which hold every choice and limit)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Query, UploadFile

from muselab.api.deps import get_studio
from muselab.errors import InvalidInput, TooLarge
from muselab.studio import Studio

router = APIRouter()
MAX_INFO_BYTES = 64 << 20


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
