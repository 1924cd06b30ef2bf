"""Free text as appeals arrive: drop web-page furniture, keep the appeal."""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 30_000

_BOILERPLATE = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^special financial appeal",
        r"\bdonat(e|ion)\b.*\b(paypal|via|patreon|help us)\b|^donate\b",
        r"\bbecome a patron\b|\bpatreon\b",
        r"^liked this article",
        r"^support (building|our|independent)\b",
        r"provides a unique analysis",
        r"plays a crucial role in building",
        r"capitalism has failed",
        r"please make a donation",
        r"your email address will not be published",
        r"^(share|tweet|print|email)( (this|on|via)\b.*)?$",
        r"^share on (facebook|twitter|telegram|whatsapp)",
        r"^(page \d+)(,\s*page \d+)*",
        r"\(opens in (a )?new window\)",
        r"^(subscribe|sign up) to (our|the) newsletter",
        r"^(read more|continue reading)\b",
        r"^tags?:",
        r"^(cookies?|we use cookies)\b",
    )
]
# Calendar widgets: "M | T | W | T | F | S | S |", "2 | 3 | 4 | 5 |", "---|---|", "30 |".
_CALENDAR_CELL = re.compile(r"^(\d{1,2}|[MTWFS]|Mo|Tu|We|Th|Fr|Sa|Su|-+)$")
# Where the appeal ends and the page's comments, author box or footer begin: nothing after
# such a line is taken (a commenter's address is not a contact), but the page's dateline.
_TAIL = re.compile(
    r"^((related|similar|recent) (articles|posts|stories)|more (news|articles)|comments?"
    r"|\d+ (comments?|responses?|replies|thoughts on\b.*)|one (comment|response)"
    r"|be the first to comment|leave a (reply|comment)|post a comment|add (a|your) comment"
    r"|comments are closed|join the discussion|about the author|author bio"
    r"|(©|\(c\)|copyright\b).*|all rights reserved.*|\S.{0,40} (says|wrote)"
    r"|reply ↓?)\s*:?\.?$",
    re.I,
)
_FORWARDED = re.compile(
    r"^-*\s*(forwarded message|begin forwarded message|пересылаемое сообщение|"
    r"переадресованное сообщение)\s*:?\s*-*$",
    re.IGNORECASE,
)
_HEADER = re.compile(r"^(from|to|cc|date|sent|subject|от|кому|дата|тема)\s*:\s*(.*)$", re.I)
_REPLY_PREFIX = re.compile(r"^(?:(?:fwd?|re|пересл|отв)\s*:\s*)+", re.IGNORECASE)
_MENU_ITEM = re.compile(r"^[^\W\d_][\w'’&-]*(?: [\w'’&-]+){0,2}$")
_ARTEFACT = re.compile(r"⟨=\d+|\ufeff|[\u200b-\u200f\u2060]")
_TRAILING_PIPE = re.compile(r"\s*\|\s*$")
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
# A line that is only a date: "May 2011", "20 May 2011" or "May 20, 2011".
_MONTH_YEAR_LINE = re.compile(
    rf"^(?:(?:[0-3]?\d\s+)?({_MONTHS})|({_MONTHS})\s+[0-3]?\d,)\s+(19|20)\d\d$",
    re.IGNORECASE,
)


_QUOTED = re.compile(r"^\s*(?:>\s?)+")


# Control characters (but tab and line break) are nobody's text: "&#11;" in a feed's title,
# an escape pasted with a terminal's colours. XML cannot even hold them.
_CONTROLS = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(text: str) -> str:
    """Return a text without control characters (tab and line breaks stay)."""
    return _CONTROLS.sub(lambda found: "" if len(found.group(0)) > 1 else " ", text)


def normalise(text: str) -> str:
    """Unify line ends, spaces and look-alike characters; drop control characters."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return _ARTEFACT.sub("", without_controls(text))


def is_boilerplate(line: str) -> bool:
    """Tell whether a line belongs to the web page, not the appeal."""
    stripped = line.strip()
    if not stripped:
        return False
    if "|" in stripped:
        cells = [cell.strip() for cell in stripped.split("|") if cell.strip()]
        if all(_CALENDAR_CELL.match(cell) for cell in cells):
            return True
        # A site's menu: "Home | News | Campaigns | About | Contact".
        if len(cells) >= 3 and all(_MENU_ITEM.match(cell) for cell in cells):
            return True
    return any(pattern.search(stripped) for pattern in _BOILERPLATE)


def _forwarded(raw_lines: list[str]) -> list[str]:
    """Drop a forwarded email's header block, keeping its subject as the first line."""
    head = [line.strip() for line in raw_lines[:12]]
    if not any(_FORWARDED.match(line) for line in head):
        return raw_lines
    subject = None
    kept: list[str] = []
    for index, line in enumerate(raw_lines):
        stripped = line.strip()
        if index < 12 and _FORWARDED.match(stripped):
            continue
        header = _HEADER.match(stripped) if index < 12 else None
        if header is not None:
            if header.group(1).lower() in ("subject", "тема"):
                subject = _REPLY_PREFIX.sub("", header.group(2)).strip()
            continue
        kept.append(line)
    return ([subject, ""] if subject else []) + kept


def clean_lines(text: str) -> tuple[list[str], str | None]:
    """Return the appeal's lines (blank lines kept as "") and a trailing dateline, if any."""
    lines: list[str] = []
    dateline = None
    month_lines: set[str] = set()
    ended = False
    for raw in _forwarded(normalise(text).split("\n")):
        # "> " quote marks of a forwarded email are not the text.
        line = _TRAILING_PIPE.sub("", _QUOTED.sub("", raw)).strip()
        if _MONTH_YEAR_LINE.match(line):
            dateline = dateline if ended and dateline else line
            if not re.search(r"\d\D+\d", line):  # "April 2026", no day: an archive's month
                month_lines.add(line.lower())
            continue
        if ended:
            continue
        if _TAIL.match(line):
            ended = True
            continue
        if is_boilerplate(raw) or is_boilerplate(line):
            continue
        lines.append(re.sub(r"[ \t]+", " ", line))
    if len(month_lines) > 1:
        dateline = None  # an archive's list of months: none of them is the text's own date
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    squeezed: list[str] = []
    for line in lines:
        if line or (squeezed and squeezed[-1]):
            squeezed.append(line)
    return squeezed, dateline


def has_words(text: str, *, minimum: int = 8) -> bool:
    """Tell whether the text has at least a few real words (not noise)."""
    return len(re.findall(r"[^\W\d_]{2,}", text)) >= minimum
