"""HTML pages from templates/web/, autoescaped, sent with headers that keep them private."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from templates import Templates

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # No scripts, no remote anything: the pages are plain forms.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


class Pages:
    """Render the web pages."""

    def __init__(self, templates: Templates) -> None:
        self._templates = templates

    def page(self, name: str, *, status: int = 200, **values: Any) -> web.Response:
        """Return ``templates/web/<name>.html.j2`` as an HTML response."""
        body = self._templates.render(f"web/{name}.html.j2", **values)
        return web.Response(text=body, status=status, content_type="text/html", headers=HEADERS)

    def message(self, title: str, text: str, *, status: int = 200) -> web.Response:
        """Return a page that says one thing."""
        return self.page("message", status=status, title=title, text=text)


PAGES_KEY = web.AppKey("pages", Pages)
