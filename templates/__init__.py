"""Jinja2 templates and the environment that renders them.

Templates receive plain values; the filters they use (dates, countries, phone numbers) are
handed in by the presentation layer, so this package depends on nothing of ours.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_eval_context,
    select_autoescape,
)
from jinja2.nodes import EvalContext
from markupsafe import Markup, escape

from templates import i18n
from templates.telegram_html import SECTION_BREAK, split_sections

TEMPLATE_DIR = Path(__file__).parent


# The only markup a catalog's text may carry into HTML; any other "<", ">" or "&" in it is
# text ("/sources add <feed or page address>") and is escaped like any other value.
_CATALOG_TAGS = re.compile(r"&lt;(/?)(b|i|u|s|code)&gt;")


def _trusted(eval_ctx: EvalContext, text: str) -> str:
    """Return a translation as the template's output format wants it: in an HTML template,
    escaped but for the simple tags a translation may hold (Jinja marks it safe after)."""
    if not eval_ctx.autoescape:
        return text
    return _CATALOG_TAGS.sub(r"<\1\2>", str(escape(text)))


@pass_eval_context
def _gettext(eval_ctx: EvalContext, message: str) -> str:
    return _trusted(eval_ctx, i18n.gettext(message))


@pass_eval_context
def _ngettext(eval_ctx: EvalContext, singular: str, plural: str, number: int) -> str:
    return _trusted(eval_ctx, i18n.ngettext(singular, plural, number))


@pass_eval_context
def _pgettext(eval_ctx: EvalContext, context: str, message: str) -> str:
    return _trusted(eval_ctx, i18n.pgettext(context, message))


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
            _gettext, _ngettext, newstyle=True, pgettext=_pgettext
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
