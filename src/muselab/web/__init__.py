"""The web studio: server-rendered pages (Jinja2) with a small plain script, no front-end build step."""

from pathlib import Path

from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))


def render(request, template: str, **context):
    """Render a page inside the shell (base.html); every page gets the navigation."""
    context.setdefault("nav", getattr(request.app.state, "nav", []))
    context.setdefault("path", request.url.path)
    return templates.TemplateResponse(request, template, context)
