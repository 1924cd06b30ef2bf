"""Demands: a numbered list ("1. An end to ..."), or failing that the sentences that demand."""

from __future__ import annotations

import re

_NUMBERED = re.compile(r"^\s*(?P<number>\d{1,2})\s*[.)]\s+(?P<text>\S.*)$")
_INTRO = re.compile(
    r"\b(demands?|demanding|call(ing)? for|we want|we ask|urge)\b"
    r"|(?<!\w)(требуем|требовани\w*|призываем|просим)(?!\w)",
    re.IGNORECASE,
)
# A line that introduces the text's own list: "… urging him to:", «Требуем:», "Wir fordern:".
_LIST_INTRO = re.compile(
    r"\b(urg\w*|call\w* (on|for)|ask\w*|demand\w*|request\w*|insist\w*|exig\w*|demandons"
    r"|fordern|forderungen|chiediamo|żądamy|talep\w*)\b[^:]{0,80}:\s*$"
    r"|(?<!\w)(требуем|требования|призываем|просим|вимагаємо|закликаємо|патрабуем)(?!\w)[^:]{0,80}:\s*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*(?:[•\-*–·▪●]|\d{1,2}\s*[.)])\s*(?P<text>\S.*)$")
# Steps for the reader ("TAKE ACTION: 1. Write a letter … 2. Click here …"), not demands.
_STEPS = re.compile(
    r"\b(take action|what you can do|how (you can|to) help|what to do|how to act)\b", re.I
)
_DEMANDING = re.compile(
    r"^(we (call|demand|urge|insist|oppose)\b|\S+(\s\S+){0,4}\s+demands\b|hands off\b"
    r"|\S+(\s\S+){0,3}\s+calls? on\b"
    r"|release\b|free\b|drop (the|all) charges\b|stop\b|end\b)",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"'])")
MAX_DEMANDS = 12
# Programme points and messages of support: for the movement, not for an official to grant.
_SOLIDARITY = re.compile(
    r"^(full |our |in )?(support|solidarity)\b|^we (offer|send|express) (our )?(full )?"
    r"(support|solidarity)|^for (the |a )?(nationali[sz]ation|mass|socialis|revolution"
    r"|workers'? (party|control)|a new|the overthrow)|^long live\b|^(build|join) (the|a)\b"
    r"|^victory to\b|^(the )?nationali[sz]|\bunder workers['’]? control\b",
    re.IGNORECASE,
)


def is_solidarity(text: str) -> bool:
    """Tell whether a point is a programme point or message of support, not a demand."""
    return bool(_SOLIDARITY.search(text.strip(" “\"'")))


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip().rstrip(";,")
    return text[:1].upper() + text[1:]


def numbered_demands(lines: list[str]) -> list[str]:
    """Return the longest numbered list (1. 2. 3.), preferring one introduced as demands (a
    single point counts only when introduced)."""
    lists: list[tuple[bool, list[str]]] = []
    current: list[str] = []
    introduced = steps = False
    previous = ""
    for line in lines:
        if not line:
            continue
        match = _NUMBERED.match(line)
        if match and (int(match.group("number")) == len(current) + 1):
            if not current:
                introduced = bool(_INTRO.search(previous))
                steps = bool(_STEPS.search(previous))
            if not steps:
                current.append(_tidy(match.group("text")))
        else:
            # One numbered point is a list only where the text says it demands.
            if len(current) >= 2 or (current and introduced):
                lists.append((introduced, current))
            current = []
            previous = line
    if len(current) >= 2 or (current and introduced):
        lists.append((introduced, current))
    if not lists:
        return []
    lists.sort(key=lambda item: (item[0], len(item[1])), reverse=True)
    return lists[0][1][:MAX_DEMANDS]


def listed_demands(lines: list[str]) -> list[str]:
    """Return the bulleted or numbered points under a line that introduces them as demands."""
    for at, line in enumerate(lines):
        if not _LIST_INTRO.search(line):
            continue
        points: list[str] = []
        for item in lines[at + 1 :]:
            if not item:
                continue
            match = _BULLET.match(item)
            if match is None:
                break
            points.append(_tidy(match.group("text")))
        if points:
            return points[:MAX_DEMANDS]
    return []


def demanding_sentences(paragraphs: list[str]) -> list[str]:
    """Return sentences that make a demand ("We call for ...", "... demands the release ...")."""
    found: list[str] = []
    for paragraph in paragraphs:
        for sentence in _SENTENCES.split(paragraph):
            sentence = sentence.strip()
            if 12 <= len(sentence) <= 400 and _DEMANDING.match(sentence):
                tidy = _tidy(sentence)
                if tidy not in found:
                    found.append(tidy)
    return found[:5]


def extract_demands(lines: list[str], paragraphs: list[str]) -> list[str]:
    """Return the appeal's demands, one per item."""
    return listed_demands(lines) or numbered_demands(lines) or demanding_sentences(paragraphs)
