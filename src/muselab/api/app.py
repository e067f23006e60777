"""The FastAPI app: the HTTP API (/v1, OpenAPI at /docs) and the web studio, over one Studio.

The studio's own routes (works, jobs, the library pages) and, for each registered domain, its JSON routes
and its page: the one list is muselab/domains.py."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi_offline import FastAPIOffline
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

import muselab
from muselab.auth import LoginThrottle
from muselab.domains import domains, load
from muselab.api.deps import studio_error_handler
from muselab.api.guard import BodyTooLarge, StudioGuard, body_too_large_handler
from muselab.api.routers import jobs, works
from muselab.errors import StudioError
from muselab.studio import Studio
from muselab.web import STATIC_DIR, pages

async def validation_error_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path", "header"))
        hint = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"{loc}: {hint}")
    first = ".".join(str(p) for p in errors[0]["loc"] if p not in ("body", "query", "path", "header")) if errors else None
    return JSONResponse({"error": "InvalidInput", "message": "; ".join(parts), "field": first,
                         "details": [{"loc": e["loc"], "msg": e["msg"], "type": e["type"]} for e in errors]},
                        status_code=422)


def create_app(studio: Studio | None = None, start_workers: bool = True) -> FastAPI:
    own_studio = studio is None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.studio is None:
            app.state.studio = Studio()
        if start_workers:
            app.state.studio.start_workers()
        yield
        if own_studio:
            app.state.studio.close()
        elif start_workers and app.state.studio.executor:
            app.state.studio.executor.stop()
            app.state.studio.executor = None

    # FastAPIOffline serves the /docs page's Swagger UI from the installed package, not a CDN: no network
    # at run time, and no third-party script running in the studio's origin.
    app = FastAPIOffline(title="Muselab", version=muselab.__version__, lifespan=lifespan,
                  description="A local-first generative studio. Submit a task's Recipe to /v1/jobs, follow its "
                              "progress at /v1/jobs/{id}/events, find what it made in /v1/works.")
    app.state.studio = studio
    app.state.login_throttle = LoginThrottle()
    app.add_middleware(StudioGuard)
    app.add_exception_handler(StudioError, studio_error_handler)
    app.add_exception_handler(BodyTooLarge, body_too_large_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)

    @app.get("/health", tags=["system"])
    def health(request: Request):
        s: Studio = request.app.state.studio
        return {"status": "ok", "version": muselab.__version__, "database": s.engine.dialect.name,
                "paused": s.queue.is_paused(), "workers": s.executor.workers if s.executor else 0}

    app.include_router(works.router)
    app.include_router(jobs.router)
    nav = list(pages.CORE_PAGES)
    for domain in domains():  # each registered domain's JSON routes and page (muselab/domains.py)
        if domain.api:
            app.include_router(load(domain.api))
        if domain.web:
            app.include_router(load(domain.web))
            page = getattr(load(domain.web.partition(":")[0]), "PAGE", None)
            if page:
                nav.append(page)
    app.state.nav = sorted(nav, key=lambda p: p.get("order", 50))
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
