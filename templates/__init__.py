"""Jinja2 templates and the environment that renders them.

Templates receive plain values; the filters they use (dates, countries, phone numbers) are
handed in by the presentation layer, so this package depends on nothing of ours.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from templates import i18n
from templates.telegram_html import SECTION_BREAK, split_sections

TEMPLATE_DIR = Path(__file__).parent


class Templates:
    """Render Telegram HTML, email and letter templates from this folder."""

    def __init__(
        self,
        folder: Path = TEMPLATE_DIR,
        *,
        filters: Mapping[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            extensions=["jinja2.ext.i18n"],
        )
        # Looked up at render time: one environment speaks whatever the reply's language is.
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=True, pgettext=i18n.pgettext
        )
        self.env.globals["language"] = i18n.current
        self.env.globals["BREAK"] = Markup(SECTION_BREAK)
        self.env.filters.update(filters or {})

    def render(self, name: str, /, **context: Any) -> str:
        """Render one template by its path under templates/."""
        return self.env.get_template(name).render(**context).strip()

    def letter(self, name: str, /, *, language: str, **context: Any) -> str:
        """Render ``letters/<language>/<name>.txt.j2``, falling back to English."""
        candidates = [f"letters/{language}/{name}.txt.j2", f"letters/en/{name}.txt.j2"]
        return self.env.select_template(candidates).render(**context).strip()

    def telegram(self, name: str, /, **context: Any) -> list[str]:
        """Render ``telegram/<name>.html.j2`` and split it into sendable messages."""
        return split_sections(self.render(f"telegram/{name}.html.j2", **context))
