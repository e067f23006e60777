"""The studio's front door: every HTTP request passes these checks before any route runs.

1. Host: a studio without an API key answers only to loopback names (and the owner's allowed_hosts),
   so a web page that rebinds its own DNS name to 127.0.0.1 cannot talk to it.
2. Cross-site: a state-changing request from another origin (a form or a no-cors fetch on some web
   page) is refused, judged by the browser's Origin and Sec-Fetch-Site headers; cross-site
   sub-resource GETs (<img src=...>, <script src=...>) are refused too. Tools such as curl send
   neither header and are judged by the key alone. A body without a Content-Type is refused, so a
   JSON endpoint never reads a "simple" cross-site request.
3. Key: with an API key set, every request but /health and the sign-in page needs it (Bearer token)
   or a signed-in browser session; without a key, only loopback clients are served.
4. Body size: the limit is enforced while the body arrives (Content-Length first, then by counting,
   so a chunked body can't slip past it).

Plain ASGI middleware: Starlette's BaseHTTPMiddleware costs a task and a stream copy per request.
"""

from __future__ import annotations

import ipaddress

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from muselab.auth import COOKIE, key_matches

OPEN_PATHS = ("/health", "/login", "/logout")  # and everything under /static/
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")

# Routes that take files: their own limit (a setting, in MB) instead of max_request_mb.
UPLOAD_LIMITS = {
    "/v1/works": "max_upload_mb",
    "/v1/image/info": "max_upload_mb",
    "/v1/write/lorebook/import": "max_upload_mb",
    "/v1/import": "max_import_mb",
    "/v1/video/import": "max_video_mb",
}
MULTIPART_SLACK = 1 << 16  # form boundaries and headers around the file itself


def _refuse(status: int, error: str, message: str, field: str | None = None, **headers) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, "field": field}, status_code=status, headers=headers)


def is_loopback(host: str | None) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def host_name(host_header: str) -> str:
    """'127.0.0.1:8000' -> '127.0.0.1', '[::1]:8000' -> '::1', 'Example.org' -> 'example.org'."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def wrong_host(request: Request, settings) -> Response | None:
    if settings.api_key and not settings.allowed_hosts:
        return None  # a keyed studio: a rebound name gets no key and no cookie, so any Host is safe
    name = host_name(request.headers.get("host", ""))
    if is_loopback(name) or name in settings.allowed_hosts or (name == settings.host and not is_loopback(name)
                                                                and settings.api_key):
        return None
    return _refuse(421, "MisdirectedRequest", f"this studio does not answer to the host name {name!r}; "
                   "open it at http://127.0.0.1 or add the name to MUSELAB_ALLOWED_HOSTS", "host")


def cross_site(request: Request) -> Response | None:
    site = request.headers.get("sec-fetch-site")
    if request.method in SAFE_METHODS:
        # A link someone follows to the studio is fine; a page embedding or fetching studio URLs is not.
        if site in ("cross-site", "same-site") and request.headers.get("sec-fetch-mode") != "navigate":
            return _refuse(403, "Forbidden", "cross-site requests are refused; open the studio itself", "origin")
        return None
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.headers.get('host', '')}".lower()
    if (site is not None and site not in ("same-origin", "none")) or (origin is not None and origin.lower() != own):
        return _refuse(403, "Forbidden", f"a request from another site ({origin or site}) may not change this "
                       "studio; use the studio's own pages, or an API client with the key", "origin")
    return None


def missing_content_type(request: Request) -> Response | None:
    if request.method in ("POST", "PUT", "PATCH") and not request.headers.get("content-type"):
        length = request.headers.get("content-length")
        if length not in (None, "0") or request.headers.get("transfer-encoding"):
            return _refuse(415, "UnsupportedMediaType", "send a Content-Type (application/json for JSON bodies, "
                           "multipart/form-data for files)", "content-type")
    return None


def unauthorized(request: Request, studio) -> Response | None:
    key = studio.settings.api_key
    path = request.url.path
    if path in OPEN_PATHS or path.startswith("/static/"):
        return None
    if key:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer ") and key_matches(header[7:].strip(), key):
            return None
        if studio.web_sessions.valid(request.cookies.get(COOKIE)):
            return None
        if request.method == "GET" and not path.startswith("/v1/") and "text/html" in request.headers.get(
                "accept", ""):
            return RedirectResponse("/login", status_code=303)  # a person with a browser: ask for the key
        return _refuse(401, "Unauthorized", "send the API key as 'Authorization: Bearer <MUSELAB_API_KEY>'",
                       "authorization", **{"WWW-Authenticate": "Bearer"})
    if not is_loopback(request.client.host if request.client else None) and not (
            request.client and request.client.host == "testclient"):
        return _refuse(403, "Forbidden", "this studio has no API key, so it only serves this machine; set "
                       "MUSELAB_API_KEY to serve others")
    return None


def body_limit(request: Request, settings) -> int:
    setting = UPLOAD_LIMITS.get(request.url.path.rstrip("/")) if request.method == "POST" else None
    if setting:
        return (getattr(settings, setting) << 20) + MULTIPART_SLACK
    return settings.max_request_mb << 20


class BodyTooLarge(HTTPException):
    """Raised while a body arrives; an HTTPException so FastAPI's body parsing passes it on unchanged."""

    def __init__(self, limit: int, field: str):
        super().__init__(413, f"request body is larger than the {limit >> 20} MB limit")
        self.field = field


async def body_too_large_handler(_request: Request, exc: BodyTooLarge) -> JSONResponse:
    return _refuse(413, "TooLarge", exc.detail, exc.field, Connection="close")


def limited_receive(receive, limit: int, field: str):
    """`receive` that raises BodyTooLarge as soon as more than `limit` body bytes have arrived."""
    seen = 0

    async def receive_within_limit():
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit, field)
        return message

    return receive_within_limit


class StudioGuard:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        studio = scope["app"].state.studio
        refusal = (wrong_host(request, studio.settings) or cross_site(request) or missing_content_type(request)
                   or unauthorized(request, studio))
        if refusal is None:
            limit = body_limit(request, studio.settings)
            field = "file" if request.url.path.rstrip("/") in UPLOAD_LIMITS else "body"
            try:
                declared = int(request.headers.get("content-length") or 0)
            except ValueError:
                declared = 0
            if declared > limit:
                refusal = _refuse(413, "TooLarge", f"request body is larger than the {limit >> 20} MB limit", field,
                                  Connection="close")
            else:
                receive = limited_receive(receive, limit, field)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
