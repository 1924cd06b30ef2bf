"""The catalog check: every text people read has its translation, with the same fields."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from templates.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
_FIELD = re.compile(r"%\((\w+)\)[sd]")

Message = str | tuple[str, str]


@functools.cache
def extracted() -> tuple[Message, ...]:
    """Return every text the code and templates mark for translation, as ``make extract``."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: dict[Message, None] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        found[message if isinstance(message, str) else (message[0], message[1])] = None
    return tuple(found)


def catalog(language: str) -> Catalog:
    """Read a language's catalog as it is committed."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def _fields(text: str) -> set[str]:
    return set(_FIELD.findall(text))


def gaps(messages: Iterable[Message], translations: Catalog) -> list[str]:
    """Say which texts have no usable translation: missing, fuzzy, empty or with other fields."""
    problems = []
    for message in messages:
        entry = translations.get(message if isinstance(message, str) else message[0])
        name = message if isinstance(message, str) else message[0]
        if entry is None:
            problems.append(f"missing: {name!r}")
            continue
        said = [entry.string] if isinstance(entry.string, str) else list(entry.string or ())
        if entry.fuzzy or not all(said):
            problems.append(f"untranslated: {name!r}")
            continue
        wanted = _fields(name) | (_fields(message[1]) if isinstance(message, tuple) else set())
        for text in said:
            # A plural form may leave the count out ("one day"); no other field may go.
            if _fields(text) - wanted or (wanted - {"num", "count"}) - _fields(text):
                problems.append(f"fields differ: {name!r} -> {text!r}")
    return problems


def english_left(text: str) -> list[str]:
    """Return the longer English texts of the catalog that a Russian reply still holds."""
    russian = catalog("ru")
    left = []
    for message in extracted():
        english = message if isinstance(message, str) else message[0]
        entry = russian.get(english)
        plain = re.sub(r"<[^>]+>|%\(\w+\)[sd]", "\0", english)
        # Only a fixed stretch of words can be looked for, between the fields.
        for piece in plain.split("\0"):
            piece = piece.strip(" .,:;()")
            if len(piece) >= 24 and piece in text and entry is not None:
                left.append(piece)
    return left
