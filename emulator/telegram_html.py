"""Parse text in Telegram's HTML parse mode the way the Bot API does, or refuse it."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT_LENGTH = 4096

_TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTRIBUTE = re.compile(r"""\s*([a-zA-Z][a-zA-Z0-9_-]*)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>"']+))?""")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class HtmlParseError(ValueError):
    """Text the Bot API would answer with "can't parse entities"."""


@dataclass
class _Open:
    tag: str
    offset: int
    attributes: dict[str, str] = field(default_factory=dict)


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


_SPECIAL = re.compile(r"[<&]")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, index: int) -> tuple[str, int]:
    match = _ENTITY.match(text, index)
    if match is None:
        raise HtmlParseError(
            f'Character "&" must be escaped as "&amp;" at byte offset {_byte_offset(text, index)}'
        )
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    elif body in _NAMED:
        return _NAMED[body], match.end()
    else:
        raise HtmlParseError(
            f'Unsupported HTML entity "&{body};" at byte offset {_byte_offset(text, index)}'
        )
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise HtmlParseError(f"Invalid character entity at byte offset {_byte_offset(text, index)}")
    return chr(code), match.end()


def _parse_attributes(text: str, start: int, end: int) -> dict[str, str]:
    attributes: dict[str, str] = {}
    position = start
    while position < end:
        if text[position].isspace():
            position += 1
            continue
        match = _ATTRIBUTE.match(text, position, end)
        if match is None or match.end() == position:
            raise HtmlParseError(
                f"Invalid attribute in a tag at byte offset {_byte_offset(text, position)}"
            )
        value = match.group(2) or ""
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        attributes[match.group(1).lower()] = html.unescape(value)
        position = match.end()
    return attributes


def _entity(open_tag: _Open, end: int) -> dict[str, Any] | None:
    length = end - open_tag.offset
    if length <= 0:
        return None
    kind = _TAG_ENTITY[open_tag.tag]
    entity: dict[str, Any] = {"type": kind, "offset": open_tag.offset, "length": length}
    if kind == "text_link":
        entity["url"] = open_tag.attributes.get("href", "")
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = open_tag.attributes["emoji-id"]
    elif kind == "blockquote" and "expandable" in open_tag.attributes:
        entity["type"] = "expandable_blockquote"
    elif kind == "code" and open_tag.attributes.get("class", "").startswith("language-"):
        entity["language"] = open_tag.attributes["class"].removeprefix("language-")
    return entity


def _check_start_tag(
    tag: str, attributes: dict[str, str], stack: list[_Open], text: str, index: int
) -> None:
    if tag == "span" and attributes.get("class") != "tg-spoiler":
        at = _byte_offset(text, index)
        raise HtmlParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
    if tag == "tg-emoji" and "emoji-id" not in attributes:
        at = _byte_offset(text, index)
        raise HtmlParseError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at}')
    if (
        stack
        and stack[-1].tag in {"pre", "code"}
        and not (tag == "code" and stack[-1].tag == "pre")
    ):
        at = _byte_offset(text, index)
        raise HtmlParseError(
            f'Tag "{tag}" can\'t be nested in "{stack[-1].tag}" at byte offset {at}'
        )


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and its entities, or raise HtmlParseError as the Bot API would."""
    plain: list[str] = []
    length16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    index = 0
    size = len(text)
    while index < size:
        special = _SPECIAL.search(text, index)
        stop = special.start() if special else size
        if stop > index:
            # A run of plain text, up to the next tag or entity.
            run = text[index:stop]
            plain.append(run)
            length16 += _utf16_length(run) if not run.isascii() else len(run)
            index = stop
            continue
        if text[index] == "&":
            decoded, index = _decode_entity(text, index)
            plain.append(decoded)
            length16 += _utf16_length(decoded)
            continue
        close = text.find(">", index)
        if text.startswith("</", index):
            if close == -1:
                raise HtmlParseError(f"Unclosed end tag at byte offset {_byte_offset(text, index)}")
            name = text[index + 2 : close].strip().lower()
            if not stack:
                at = _byte_offset(text, index)
                raise HtmlParseError(f"Unexpected end tag at byte offset {at}")
            opened = stack.pop()
            if name and name != opened.tag:
                at = _byte_offset(text, index)
                raise HtmlParseError(
                    f'Unmatched end tag at byte offset {at}, expected "</{opened.tag}>", '
                    f'found "</{name}>"'
                )
            entity = _entity(opened, length16)
            if entity is not None:
                entities.append(entity)
            index = close + 1
            continue
        match = _NAME.match(text, index + 1)
        tag = match.group(0).lower() if match else ""
        if tag not in _TAG_ENTITY:
            at = _byte_offset(text, index)
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {at}')
        if close == -1:
            raise HtmlParseError(f"Unclosed start tag at byte offset {_byte_offset(text, index)}")
        assert match is not None
        attributes = _parse_attributes(text, match.end(), close)
        _check_start_tag(tag, attributes, stack, text, index)
        stack.append(_Open(tag=tag, offset=length16, attributes=attributes))
        index = close + 1
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(plain), entities


def check_text(text: str, *, parse_mode: str | None) -> tuple[str, list[dict[str, Any]]]:
    """Validate a message text as sendMessage does; return plain text and entities."""
    if parse_mode is not None and parse_mode.upper() == "HTML":
        try:
            plain, entities = parse_html(text)
        except HtmlParseError as exc:
            raise ValueError(f"Bad Request: can't parse entities: {exc}") from None
    elif parse_mode:
        raise ValueError(f"Bad Request: unsupported parse_mode {parse_mode!r} in this emulator")
    else:
        plain, entities = text, []
    if not plain.strip():
        raise ValueError("Bad Request: message text is empty")
    if len(plain) > MAX_TEXT_LENGTH:
        raise ValueError("Bad Request: message is too long")
    return plain, entities
