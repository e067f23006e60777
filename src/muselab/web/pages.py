"""The shell's own pages: Library, a Work, Jobs, and the login form used when an API key is set."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from muselab.auth import COOKIE, SESSION_DAYS, key_matches
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
def login(request: Request, key: str = Form(..., max_length=1000)):
    studio = request.app.state.studio
    expected = studio.settings.api_key
    if not expected:
        return RedirectResponse("/", status_code=303)
    throttle = request.app.state.login_throttle
    client = request.client.host if request.client else "unknown"
    wait = throttle.retry_after(client)
    if wait:
        response = render(request, "login.html", error=f"Too many wrong keys. Try again in {wait} s.")
        response.status_code, response.headers["Retry-After"] = 429, str(wait)
        return response
    if not key_matches(key, expected):
        throttle.failed(client)
        response = render(request, "login.html", error="That key is not this studio's API key.")
        response.status_code = 401
        return response
    throttle.succeeded(client)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, studio.web_sessions.create(), max_age=SESSION_DAYS * 86400, httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/logout")
def logout(request: Request):
    request.app.state.studio.web_sessions.revoke(request.cookies.get(COOKIE))
    response = RedirectResponse("/login" if request.app.state.studio.settings.api_key else "/", status_code=303)
    response.delete_cookie(COOKIE, httponly=True, samesite="strict")
    return response
