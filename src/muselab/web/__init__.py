"""The web studio: server-rendered pages (Jinja2) with a small plain script, no front-end build step."""

from pathlib import Path

from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
# Show recipes in their own characters (秋风, not \u79cb\u98ce); tojson still escapes <, >, & and '.
templates.env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}


def render(request, template: str, **context):
    """Render a page inside the shell (base.html); every page gets the navigation."""
    context.setdefault("nav", getattr(request.app.state, "nav", []))
    context.setdefault("path", request.url.path)
    return templates.TemplateResponse(request, template, context)
