"""Shared pieces of the HTTP API: getting the studio, auth, and turning studio errors into responses."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from muselab.errors import StudioError
from muselab.studio import Studio

OPEN_PATHS = ("/health", "/static/", "/login")


def get_studio(request: Request) -> Studio:
    return request.app.state.studio


def is_loopback(host: str | None) -> bool:
    if host in ("localhost", "testclient"):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get("muselab_key")


def refusal(request: Request) -> Response | None:
    """The response that refuses this request, or None to let it through.

    With an API key set, every request but /health needs it (Bearer token or the web login cookie).
    Without one, only loopback clients are served: the studio is then a private, local tool."""
    studio: Studio = request.app.state.studio
    key = studio.settings.api_key
    path = request.url.path
    if path.startswith(OPEN_PATHS):
        return None
    if key:
        given = presented_key(request) or ""
        if hmac.compare_digest(given.encode(), key.encode()):
            return None
        if request.method == "GET" and not path.startswith("/v1/") and "text/html" in request.headers.get(
                "accept", ""):
            return RedirectResponse("/login", status_code=303)  # a person with a browser: ask for the key
        return JSONResponse({"error": "Unauthorized", "message": "send the API key as 'Authorization: "
                             "Bearer <MUSELAB_API_KEY>'", "field": "authorization"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})
    if not is_loopback(request.client.host if request.client else None):
        return JSONResponse({"error": "Forbidden", "message": "this studio has no API key, so it only serves "
                             "this machine; set MUSELAB_API_KEY to serve others", "field": None}, status_code=403)
    return None


class AuthMiddleware:
    """Plain ASGI middleware (Starlette's BaseHTTPMiddleware costs a task and a stream copy per request)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            response = refusal(Request(scope))
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def studio_error_handler(_request: Request, exc: StudioError) -> JSONResponse:
    return JSONResponse(exc.to_dict(), status_code=exc.status_code)
