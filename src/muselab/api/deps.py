"""Shared pieces of the HTTP API: getting the studio, auth, and turning studio errors into responses."""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import Request
from fastapi.responses import JSONResponse

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


async def auth_middleware(request: Request, call_next):
    """With an API key set, every request but /health needs it (Bearer token or the web login cookie).
    Without one, only loopback clients are served: the studio is then a private, local tool."""
    studio: Studio = request.app.state.studio
    key = studio.settings.api_key
    path = request.url.path
    if not path.startswith(OPEN_PATHS):
        if key:
            given = presented_key(request) or ""
            if not hmac.compare_digest(given.encode(), key.encode()):
                return JSONResponse({"error": "Unauthorized", "message": "send the API key as 'Authorization: "
                                     "Bearer <MUSELAB_API_KEY>'", "field": "authorization"}, status_code=401,
                                    headers={"WWW-Authenticate": "Bearer"})
        elif not is_loopback(request.client.host if request.client else None):
            return JSONResponse({"error": "Forbidden", "message": "this studio has no API key, so it only serves "
                                 "this machine; set MUSELAB_API_KEY to serve others", "field": None}, status_code=403)
    return await call_next(request)


async def studio_error_handler(_request: Request, exc: StudioError) -> JSONResponse:
    return JSONResponse(exc.to_dict(), status_code=exc.status_code)
