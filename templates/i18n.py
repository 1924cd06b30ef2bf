"""The languages people read: gettext catalogs, and the language of the reply being written.

The catalogs are ``locale/<language>/LC_MESSAGES/messages.po``; ``make compile`` (run at
install) writes the ``.mo`` beside each. A checkout without them still speaks every language:
a missing or older ``.mo`` is compiled from its ``.po`` in memory on first use.
"""

from __future__ import annotations

import functools
import gettext as gnu
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DEFAULT = "en"
LANGUAGES = ("en", "ru")
"""The languages the bot speaks, in the order they are offered."""
NAMES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
"""Each language by its own name (what a reader looks for in a list)."""
FALLBACKS = {"kk": ("ru",), "uk": ("ru",), "be": ("ru",), "ky": ("ru",), "uz": ("ru",)}
"""Where a reader of a language we do not speak yet most likely reads another we do."""

_language: ContextVar[str] = ContextVar("language", default=DEFAULT)


def supported(code: str | None) -> str:
    """Return the language we speak for a code such as ``ru-RU`` or ``kk`` (else English)."""
    base = (code or "").replace("_", "-").split("-")[0].lower()
    if base in LANGUAGES:
        return base
    return next((lang for lang in FALLBACKS.get(base, ()) if lang in LANGUAGES), DEFAULT)


def _compiled(po: Path) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@functools.cache
def translations(language: str) -> gnu.NullTranslations:
    """Return the catalog of a language (English: the texts as written)."""
    if language == DEFAULT:
        return gnu.NullTranslations()
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if not po.exists():
        return gnu.NullTranslations()
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        data = mo.read_bytes()
    else:
        data = _compiled(po)
    return gnu.GNUTranslations(io.BytesIO(data))


def current() -> str:
    """Return the language of what is being written now."""
    return _language.get()


@contextmanager
def speaking(language: str | None) -> Iterator[str]:
    """Write in this language (a code we may not speak: its nearest) within the block."""
    chosen = supported(language)
    token = _language.set(chosen)
    try:
        yield chosen
    finally:
        _language.reset(token)


def use(language: str | None) -> str:
    """Write in this language from now on in this task (a handler's whole reply)."""
    chosen = supported(language)
    _language.set(chosen)
    return chosen


def gettext(message: str) -> str:
    """Translate a message into the current language."""
    return translations(_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count into the current language, in the right plural."""
    return translations(_language.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """Translate a message that means something particular in a context (a short label)."""
    return translations(_language.get()).pgettext(context, message)


def mark(message: str) -> str:
    """Mark a text for the catalog without translating it yet (translated where it is used)."""
    return message


_ = gettext
N_ = mark
