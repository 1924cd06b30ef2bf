"""How a sentence names the office it gives contacts for ("Write to the court: fax …",
«Пишите в полицию: …»), and a label a page broke from its number."""

from __future__ import annotations

import re

from bot.extract.contacts import first_contact_at

_TRAILING_WORDS = re.compile(
    r"(\s+(on|at|by|via|the number|number|email|e-mail|e mail|fax|tel|phone|:|urgently))+\s*:?\s*$",
    re.IGNORECASE,
)
_TO_PHRASE = re.compile(r"\bto\s*:?\s+(the\s+)?(?P<name>[^,;:]{3,80})$", re.IGNORECASE)
# What a sentence says before the office it names: "Please email the", "Contact the",
# «Пишите», «Звоните в», «Адреса для писем:».
_LEAD_IN = re.compile(
    r"^(please\s+)?(write|send(\s+your)?(\s+(protests?|letters?|appeals?))?|contact|e-?mail"
    r"|fax|call|phone|ring|protest|appeal)(\s+to)?(\s+the)?\s*:?\s+"
    r"|^(пишите|звоните|обращайтесь|направляйте(\s+\w+)?|адреса?(\s+для\s+писем)?)\s*:?\s*"
    r"(?P<into>(в|во|на)\s+)?",
    re.IGNORECASE,
)
_LABEL_AT_END = re.compile(
    r"\b(fax|tel|phone|telephone|mobile|e-?mail|факс|тел|телефон)\.?\s*:?$", re.IGNORECASE
)


def _tidy(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" .:;,-–")
    return name[:1].upper() + name[1:200]


def name_before_contact(line: str) -> str | None:
    """Return the office a line names before its first contact (None: it names none)."""
    position = first_contact_at(line)
    before = line[:position] if position is not None else line
    # "… Prosecutor: email x@y": the label goes, then the colon before it.
    before = _TRAILING_WORDS.sub("", before.rstrip(" +(:")).rstrip(" +(:,;")
    match = _TO_PHRASE.search(before)
    if match:
        return _tidy(match.group("name"))
    # "Procurator General, Email: office@example.org": the name is what comes first.
    if 2 < len(before) <= 80:
        return without_lead_in(before)
    return None


def without_lead_in(text: str) -> str | None:
    """Return the office a phrase names without the words that ask to write to it (None
    when nothing else is left: «Пишите:»)."""
    lead = _LEAD_IN.match(text)
    if lead is None:
        return _tidy(text)
    rest = text[lead.end() :].strip(" .:;,-–")
    if len(rest) < 3:
        return None
    if lead.group("into"):
        # «в полицию», «в прокуратуру»: the office as it is named, not where one writes.
        first, __, others = rest.partition(" ")
        for ending, named in (("ию", "ия"), ("ую", "ая"), ("у", "а")):
            if first.lower().endswith(ending):
                first = first[: -len(ending)] + named
                break
        rest = f"{first} {others}".strip()
    return _tidy(rest)


def join_broken_labels(lines: list[str]) -> list[str]:
    """Join a line that ends with a contact's label ("…, fax") to the number under it: a
    label and its number belong together, wherever a page broke the line."""
    joined: list[str] = []
    for line in lines:
        if joined and _LABEL_AT_END.search(joined[-1]) and first_contact_at(line) == 0:
            joined[-1] = f"{joined[-1]} {line}"
        else:
            joined.append(line)
    return joined
