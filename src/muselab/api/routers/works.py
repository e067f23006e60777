"""/v1/works: list, search, get, content, upload, tag, star, rate, delete, restore, remix; boards; export/import."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from muselab.api.deps import get_studio
from muselab.errors import InvalidInput, NotFound
from muselab.library import archive, media
from muselab.library.store import KINDS, WorkFilter, default_filename, work_to_dict
from muselab.studio import Studio

router = APIRouter(prefix="/v1", tags=["works"])
MAX_OFFSET = 10**9  # larger offsets overflow the databases' integers (a 500, not an empty page)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkPatch(Strict):
    title: str | None = Field(None, max_length=500)
    starred: bool | None = None
    rating: int | None = Field(None, ge=0, le=5)


class TagChange(Strict):
    add: list[str] = Field(default_factory=list, max_length=50)
    remove: list[str] = Field(default_factory=list, max_length=50)


class StarChange(Strict):
    starred: bool = True


class BoardChange(Strict):
    ids: list[str] = Field(min_length=1, max_length=500)


class ExportRequest(Strict):
    ids: list[str] = Field(default_factory=list, max_length=5000)
    board: str | None = None
    with_parents: bool = True


def _filters(kind: str | None = Query(None, description=f"one of {', '.join(KINDS)}"),
             tag: str | None = None, board: str | None = None, starred: bool | None = None,
             model: str | None = None, task: str | None = None, job_id: str | None = None,
             status: Literal["ok", "partial"] | None = None, since: datetime | None = None,
             until: datetime | None = None, q: str | None = Query(None, max_length=500),
             limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=MAX_OFFSET)) -> WorkFilter:
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)} (got {kind!r})", "kind")
    return WorkFilter(kind=kind, tag=tag, board=board, starred=starred, model=model, task=task, job_id=job_id,
                      status=status, since=since, until=until, query=q, limit=limit, offset=offset)


@router.get("/works")
def list_works(flt: WorkFilter = Depends(_filters), studio: Studio = Depends(get_studio)):
    items, total = studio.library.cards(flt)
    # Straight to JSON: these dicts are plain already, so FastAPI's encoder pass would only cost time.
    return JSONResponse({"items": items, "total": total, "limit": flt.limit, "offset": flt.offset})


@router.get("/works/search")
def search_works(q: str = Query(..., min_length=1, max_length=500), flt: WorkFilter = Depends(_filters),
                 studio: Studio = Depends(get_studio)):
    flt.query = q
    return list_works(flt, studio)


@router.post("/works", status_code=201)
def upload_work(file: UploadFile = File(...), title: str | None = Form(None, max_length=500),
                tags: str | None = Form(None, max_length=5000, description="comma-separated"),
                studio: Studio = Depends(get_studio)):
    """Keep your own file (photo, MIDI, text, corpus) in the library as a human-made Work.

    (A plain function: FastAPI runs it in a worker thread, so hashing and thumbnailing never stall the server.)"""
    work = studio.upload(file.file, file.filename or "", file.content_type, title=title,
                         tags=[t.strip() for t in (tags or "").split(",") if t.strip()],
                         max_bytes=studio.settings.max_upload_mb << 20)
    return work_to_dict(work)


@router.get("/works/{work_id}")
def get_work(work_id: str, studio: Studio = Depends(get_studio)):
    work = studio.library.get(work_id)
    data = work_to_dict(work)
    data["boards"] = studio.library.boards_of([work_id]).get(work_id, [])
    data["children"] = studio.library.children_of(work_id)
    return data


@router.get("/works/{work_id}/content")
def get_content(work_id: str, download: bool = False, studio: Studio = Depends(get_studio)):
    """The Work's file. Only passive types (raster images, audio, video, plain text) show inline; the rest is
    a download, and never runs as a page of this studio (nosniff, a sandboxing CSP, no executable type)."""
    work = studio.library.get(work_id)
    inline = media.is_inline(work.media_type) and not download
    return FileResponse(studio.library.content_path(work), media_type=media.served_type(work.media_type),
                        filename=work.filename or default_filename(work), headers=dict(media.CONTENT_HEADERS),
                        content_disposition_type="inline" if inline else "attachment")


@router.get("/works/{work_id}/thumbnail")
def get_thumbnail(work_id: str, studio: Studio = Depends(get_studio)):
    work = studio.library.get(work_id)
    if not work.thumb_sha256:
        raise NotFound(f"work {work_id} has no thumbnail", "work_id")
    return FileResponse(studio.library.blobs.path(work.thumb_sha256), media_type="image/png",
                        headers={"Cache-Control": "max-age=86400", **media.CONTENT_HEADERS})


@router.patch("/works/{work_id}")
def patch_work(work_id: str, patch: WorkPatch, studio: Studio = Depends(get_studio)):
    if patch.title is not None:
        studio.library.set_title(work_id, patch.title)
    if patch.starred is not None:
        studio.library.star(work_id, patch.starred)
    if "rating" in patch.model_fields_set:
        studio.library.rate(work_id, patch.rating)
    return get_work(work_id, studio)


@router.post("/works/{work_id}/tags")
def tag_work(work_id: str, change: TagChange, studio: Studio = Depends(get_studio)):
    return work_to_dict(studio.library.tag(work_id, change.add, change.remove))


@router.post("/works/{work_id}/star")
def star_work(work_id: str, change: StarChange, studio: Studio = Depends(get_studio)):
    return work_to_dict(studio.library.star(work_id, change.starred))


@router.delete("/works/{work_id}", status_code=204)
def delete_work(work_id: str, studio: Studio = Depends(get_studio)):
    studio.library.delete(work_id)
    return Response(status_code=204)


@router.get("/works/{work_id}/restore")
def restore_work(work_id: str, studio: Studio = Depends(get_studio)):
    """The exact task and Recipe that made this Work ('use all'): submit it to /v1/jobs to make it again."""
    return studio.library.restore(work_id)


@router.get("/works/{work_id}/remix")
def remix_work(work_id: str, studio: Studio = Depends(get_studio)):
    """The same task and Recipe with a fresh seed ('all but the seed')."""
    return studio.library.remix(work_id)


@router.get("/boards")
def list_boards(studio: Studio = Depends(get_studio)):
    return {"items": studio.library.boards()}


@router.post("/boards/{board}/works")
def add_to_board(board: str, change: BoardChange, studio: Studio = Depends(get_studio)):
    studio.library.add_to_board(board, change.ids)
    return {"board": board, "added": change.ids}


@router.delete("/boards/{board}/works/{work_id}", status_code=204)
def remove_from_board(board: str, work_id: str, studio: Studio = Depends(get_studio)):
    studio.library.remove_from_board(board, [work_id])
    return Response(status_code=204)


@router.delete("/boards/{board}", status_code=204)
def delete_board(board: str, studio: Studio = Depends(get_studio)):
    studio.library.delete_board(board)
    return Response(status_code=204)


class _TemporaryFileResponse(FileResponse):
    """A file sent once, then removed with its folder, however the sending ends (done, failed, disconnected)."""

    def __init__(self, folder: Path, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.folder = folder

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@router.post("/export")
def export_works(request: ExportRequest, studio: Studio = Depends(get_studio)):
    """A zip with the Works' files and a manifest of their recipes, tags, boards and links."""
    # In the data folder: exports can be large, and the system's temp folder may be memory.
    folder = Path(tempfile.mkdtemp(prefix=".export-", dir=studio.settings.data_dir))
    try:
        path = folder / "muselab-export.zip"
        archive.export_zip(studio.library, path, request.ids, request.board, request.with_parents)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _TemporaryFileResponse(folder, path, media_type="application/zip", filename="muselab-export.zip")


@router.post("/import")
def import_works(file: UploadFile = File(...), studio: Studio = Depends(get_studio)):
    """Add the Works of an export zip; all or nothing. At most MUSELAB_MAX_IMPORT_MB (the request body is
    counted against it while it arrives, see api/guard.py)."""
    with tempfile.NamedTemporaryFile(suffix=".zip", prefix=".import-", dir=studio.settings.data_dir) as tmp:
        shutil.copyfileobj(file.file, tmp, 1 << 20)
        tmp.flush()
        return archive.import_zip(studio.library, Path(tmp.name), max_bytes=studio.settings.max_import_mb << 20)
