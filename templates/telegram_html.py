"""Telegram HTML helpers: escaping, visible length, and splitting long replies safely."""

from __future__ import annotations

import re
from dataclasses import dataclass

TELEGRAM_TEXT_LIMIT = 4096
# Between blocks a reader must get whole (a letter): messages are cut only here if they can be.
# A comment, which escaped text can never contain, and Telegram never sees.
SECTION_BREAK = "<!--section-->"
_TOKEN = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>|&#?[a-zA-Z0-9]+;|[\s\S]")


@dataclass(frozen=True, slots=True)
class _Atom:
    text: str
    visible: int
    tag: str | None = None
    closing: bool = False


def _atoms(html: str) -> list[_Atom]:
    atoms = []
    for match in _TOKEN.finditer(html):
        text = match.group(0)
        if match.group(2):
            atoms.append(_Atom(text, 0, match.group(2).lower(), bool(match.group(1))))
        else:
            atoms.append(_Atom(text, 1))
    return atoms


def visible_length(html: str) -> int:
    """Return how many characters Telegram will count once tags and entities are parsed."""
    return sum(atom.visible for atom in _atoms(html))


def _stacks(atoms: list[_Atom]) -> list[tuple[_Atom, ...]]:
    """For every position, the tags open before it (outermost first)."""
    stacks: list[tuple[_Atom, ...]] = []
    stack: list[_Atom] = []
    for atom in atoms:
        stacks.append(tuple(stack))
        if atom.tag is not None:
            if atom.closing:
                if stack:
                    stack.pop()
            else:
                stack.append(atom)
    stacks.append(tuple(stack))
    return stacks


def _break_at(atoms: list[_Atom], start: int, end: int, limit: int) -> int:
    """Choose where to cut in atoms[start:end]: paragraph, then line, then word, then anywhere."""
    best: dict[str, int] = {}
    seen = 0
    for index in range(start, end):
        text = atoms[index].text
        seen += atoms[index].visible
        if text == "\n" and index + 1 < len(atoms) and atoms[index + 1].text == "\n":
            if seen > limit // 2:
                best["paragraph"] = index
        elif text == "\n" and seen > limit // 4:
            best["line"] = index
        elif text == " " and index > start:
            best["word"] = index
    for kind in ("paragraph", "line", "word"):
        if kind in best:
            return best[kind]
    return end


def split_message(html: str, *, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split Telegram HTML into messages of at most ``limit`` visible characters.

    Cuts between paragraphs where it can, never inside a tag or an entity; tags open at a
    cut are closed at the end of one message and opened again at the start of the next.
    """
    atoms = _atoms(html)
    stacks = _stacks(atoms)
    chunks: list[str] = []
    start = 0
    while start < len(atoms):
        visible = 0
        end = start
        while end < len(atoms) and visible + atoms[end].visible <= limit:
            visible += atoms[end].visible
            end += 1
        cut = end if end == len(atoms) else _break_at(atoms, start, end, limit)
        opened = "".join(atom.text for atom in stacks[start])
        body = "".join(atom.text for atom in atoms[start:cut])
        closed = "".join(f"</{atom.tag}>" for atom in reversed(stacks[cut]))
        chunk = opened + body + closed
        if body.strip():
            chunks.append(chunk.strip())
        start = cut
        while start < len(atoms) and atoms[start].text.isspace():
            start += 1
    return chunks or [html.strip()]


def split_sections(html: str, *, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split Telegram HTML into messages, keeping each section (between SECTION_BREAKs)
    whole in one message; only a section longer than a message is cut, as split_message does.
    """
    if SECTION_BREAK not in html:
        return split_message(html, limit=limit)
    messages: list[str] = []
    current = ""
    for section in (part.strip() for part in html.split(SECTION_BREAK)):
        if not section:
            continue
        joined = f"{current}\n\n{section}" if current else section
        if visible_length(joined) <= limit:
            current = joined
            continue
        if current:
            messages.append(current)
        if visible_length(section) <= limit:
            current = section
        else:
            *whole, current = split_message(section, limit=limit)
            messages.extend(whole)
    if current:
        messages.append(current)
    return messages or [html.strip()]
