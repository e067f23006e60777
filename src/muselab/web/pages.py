"""The shell's own pages: Library, a Work, Jobs, and the login form used when an API key is set."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from muselab.library import media
from muselab.library.store import KINDS, work_to_dict
from muselab.web import render

router = APIRouter(include_in_schema=False)

# Each domain adds its own page through its router's PAGE (see docs/architecture.md).
CORE_PAGES = [
    {"title": "Library", "subtitle": "作品库", "path": "/", "order": 10},
    {"title": "Jobs", "subtitle": "任务", "path": "/jobs", "order": 90},
]


@router.get("/", response_class=HTMLResponse)
def library_page(request: Request):
    studio = request.app.state.studio
    return render(request, "library.html", kinds=KINDS, boards=studio.library.boards())


@router.get("/works/{work_id}", response_class=HTMLResponse)
def work_page(request: Request, work_id: str):
    studio = request.app.state.studio
    work = studio.library.get(work_id)
    data = work_to_dict(work)
    data["boards"] = studio.library.boards_of([work_id]).get(work_id, [])
    data["children"] = studio.library.children_of(work_id)
    return render(request, "work.html", work=data, preview=media.preview(work.media_type))


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request):
    return render(request, "jobs.html")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    return render(request, "login.html")


@router.post("/login")
def login(request: Request, key: str = Form(...)):
    import hmac

    expected = request.app.state.studio.settings.api_key
    if expected and not hmac.compare_digest(key.encode(), expected.encode()):
        response = render(request, "login.html", error="That key is not this studio's API key.")
        response.status_code = 401
        return response
    response = RedirectResponse("/", status_code=303)
    response.set_cookie("muselab_key", key, httponly=True, samesite="strict")
    return response
