"""HTML pages from templates/web/, autoescaped, sent with headers that keep them private."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from aiohttp import web
from markupsafe import Markup

from templates import TEMPLATE_DIR, Templates

# The forms' few lines of style go inside each page (one request, nothing to fetch), allowed
# by their hash: no other style, and no script at all, can run on these pages.
FORM_CSS = (TEMPLATE_DIR / "web" / "static" / "forms.css").read_text(encoding="utf-8")
_CSS_HASH = base64.b64encode(hashlib.sha256(FORM_CSS.encode()).digest()).decode()
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # No scripts, no remote anything: the pages are plain forms.
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


class Pages:
    """Render the web pages."""

    def __init__(self, templates: Templates) -> None:
        self._templates = templates

    def page(self, name: str, *, status: int = 200, **values: Any) -> web.Response:
        """Return ``templates/web/<name>.html.j2`` as an HTML response."""
        body = self._templates.render(f"web/{name}.html.j2", form_css=Markup(FORM_CSS), **values)
        return web.Response(text=body, status=status, content_type="text/html", headers=HEADERS)

    def message(self, title: str, text: str, *, status: int = 200) -> web.Response:
        """Return a page that says one thing."""
        return self.page("message", status=status, title=title, text=text)


PAGES_KEY = web.AppKey("pages", Pages)
