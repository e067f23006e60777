"""The web studio: server-rendered pages (Jinja2) with a small plain script, no front-end build step."""

from pathlib import Path
from urllib.parse import quote

from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
# Show recipes in their own characters (秋风, not \u79cb\u98ce); tojson still escapes <, >, & and '.
templates.env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}
# One URL path segment from any value ("/works/{{ id | seg }}"): '/', '?', '#' and '..' can't lead elsewhere.
templates.env.filters["seg"] = lambda value: quote(str(value), safe="")

# Every page's scripts are files under /static (page-*.js) and its data sits in JSON islands or data-
# attributes, so no inline script is needed: a title or tag that slips past escaping still can't run.
# Inline styles stay allowed (the templates use style attributes; CSS can't run script).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'")
PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin"}


def render(request, template: str, **context):
    """Render a page inside the shell (base.html); every page gets the navigation and the CSP."""
    context.setdefault("nav", getattr(request.app.state, "nav", []))
    context.setdefault("path", request.url.path)
    studio = getattr(request.app.state, "studio", None)
    context.setdefault("login_page", template == "login.html")  # (no navigation or queue status before sign-in)
    context.setdefault("signed_in", bool(studio and studio.settings.api_key and template != "login.html"))
    return templates.TemplateResponse(request, template, context, headers=PAGE_HEADERS)
