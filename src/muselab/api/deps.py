"""Shared pieces of the HTTP API: getting the studio, and turning studio errors into responses."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from muselab.errors import StudioError
from muselab.studio import Studio


def get_studio(request: Request) -> Studio:
    return request.app.state.studio


async def studio_error_handler(_request: Request, exc: StudioError) -> JSONResponse:
    return JSONResponse(exc.to_dict(), status_code=exc.status_code)
