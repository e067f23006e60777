"""Video over HTTP: import a video (probed before it is kept) and the choices the video recipes accept.
Every video task runs through POST /v1/jobs (video.scenes, video.autocut, video.highlights, ...)."""

from __future__ import annotations

from typing import get_args

from fastapi import APIRouter, Depends, File, Form, UploadFile

from muselab.api.deps import get_studio
from muselab.library.store import work_to_dict
from muselab.studio import Studio

router = APIRouter(tags=["video"])


@router.post("/v1/video/import", status_code=201)
def import_video(
    file: UploadFile = File(...), title: str | None = Form(None, max_length=500), studio: Studio = Depends(get_studio)
):
    """Keep a video (MP4, MOV, WebM, MKV) as a Work after ffprobe has read it; its streams, duration, frame rate
    and size become the Work's meta. A file that is not a video, is truncated or has no picture is a 422."""
    from muselab.video.importer import import_check, media_type_for

    name = file.filename or "video.mp4"
    work = studio.upload(
        file.file,
        name,
        media_type_for(name, file.content_type),
        title=title,
        max_bytes=studio.settings.max_video_mb << 20,
        check=import_check(studio.settings.max_video_minutes),
    )
    return work_to_dict(work)


@router.get("/v1/video/options")
def video_options(studio: Studio = Depends(get_studio)):
    """Transitions, colour grades, shapes and scene detectors, as the recipes accept them."""
    from muselab.video import recipe

    return {
        "transitions": list(get_args(recipe.Transition)),
        "grades": list(get_args(recipe.Grade)),
        "aspects": list(get_args(recipe.Aspect)),
        "detectors": list(get_args(recipe.ScenesRecipe.model_fields["detector"].annotation)),
        "max_minutes": studio.settings.max_video_minutes,
        "max_mb": studio.settings.max_video_mb,
    }
