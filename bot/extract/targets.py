"""Whom to write to: numbered "send protests to" lists, contact lines, prose, copies, embassies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.extract.contacts import NumberKind, find_numbers, first_contact_at, is_postal_address
from bot.extract.spans import find_emails
from storage.enums import TargetKind

_INTRO = re.compile(
    r"\b(send|sent|write|fax|direct|addressed)\b.*\bto\b\s*:?\s*$|\bprotests? to\b"
    r"|\bmessages? of support to\b|\bcopies to\b|following address|\bsend (them|protests)\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^\s*\d{1,2}\s*[:)]\s*(?P<rest>.+)$")
_CONTACT_LINE = re.compile(r"^(e[\s-]?mail|tel|telephone|phone|fax|mobile)\b", re.IGNORECASE)
_COPIES = re.compile(r"\bcop(y|ies)\b", re.IGNORECASE)
_EMBASSY = re.compile(r"\bembass|\bconsulat", re.IGNORECASE)
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
_LONG_PROSE = 160
_EMBASSY_ADVICE = re.compile(
    r"\bembass(y|ies) of\b|\bembassies\b|\bconsulat|\byour (local|own|nearest) embass"
    r"|\bembass(y|ies) in your\b",
    re.IGNORECASE,
)
GENERIC_EMBASSY = "The embassy in your country"
_SALUTATIONS = (
    (re.compile(r"\bembass|\bambassador|\bconsul", re.I), "Your Excellency,"),
    (re.compile(r"\b(court|judge|tribunal)\b", re.I), "Your Honour,"),
    (
        re.compile(r"\b(general procura?tor|procura?tor general|prosecutor general)", re.I),
        "Dear Procurator General,",
    ),
    (re.compile(r"\bprocur|\bprosecut", re.I), "Dear Procurator,"),
    (re.compile(r"\bminist(er|ry)\b", re.I), "Dear Minister,"),
    (re.compile(r"^(the )?president\b", re.I), "Dear President,"),
    (re.compile(r"\bmayor\b|\bakim\b", re.I), "Dear Mayor,"),
)


def salutation_for(name: str, kind: TargetKind) -> str:
    """Return how a letter to this office opens: Your Excellency, Your Honour, Dear Minister."""
    if kind is TargetKind.EMBASSY:
        return "Your Excellency,"
    for pattern, salutation in _SALUTATIONS:
        if pattern.search(name):
            return salutation
    return "Dear Sir or Madam,"


@dataclass
class TargetDraft:
    name: str
    kind: TargetKind = TargetKind.PROTEST
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    faxes: list[str] = field(default_factory=list)
    postal_address: str | None = None
    note: str | None = None

    @property
    def has_contacts(self) -> bool:
        """Tell whether there is any way to reach this target."""
        return bool(self.emails or self.phones or self.faxes or self.postal_address)

    def add_contacts(self, line: str) -> None:
        """Add every email and number in a line."""
        for email in find_emails(line):
            if email not in self.emails:
                self.emails.append(email)
        for number in find_numbers(line):
            bucket = self.faxes if number.kind is NumberKind.FAX else self.phones
            if number.e164 not in bucket:
                bucket.append(number.e164)


def _tidy(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" .:;,-–")
    return name[:1].upper() + name[1:200]


def name_before_contact(line: str) -> str | None:
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


_POSTAL_LABEL = re.compile(
    r"^(post|postal address|address|mail to|адрес|почтовый адрес)\s*:\s*", re.IGNORECASE
)


def _postal(line: str) -> str:
    """Return a postal address without the label before it ("Post: …")."""
    return _tidy(_POSTAL_LABEL.sub("", line))


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


class _Collector:
    def __init__(self) -> None:
        self.targets: list[TargetDraft] = []

    def get(self, name: str, kind: TargetKind) -> TargetDraft:
        key = re.sub(r"\W+", " ", name.lower()).strip()
        for target in self.targets:
            same = re.sub(r"\W+", " ", target.name.lower()).strip() == key
            if same and target.kind is kind:
                return target
        target = TargetDraft(name=name, kind=kind)
        self.targets.append(target)
        return target

    def embassy(self, line: str) -> TargetDraft:
        name = embassy_name(line)
        for target in self.targets:
            if target.kind is TargetKind.EMBASSY:
                if target.name == GENERIC_EMBASSY and name != GENERIC_EMBASSY:
                    target.name, target.note = name, _tidy(line)
                return target
        target = TargetDraft(name=name, kind=TargetKind.EMBASSY, note=_tidy(line))
        self.targets.append(target)
        return target


def embassy_name(line: str) -> str:
    match = re.search(r"\b(embass(y|ies)|consulates?)\s+of\s+([A-Z][\w-]+)", line, re.IGNORECASE)
    if match:
        return f"Embassy of {match.group(3)} in your country"
    match = re.search(r"\b([A-Z][\w-]+)\s+(embass|consulat)", line)
    if match:
        return f"The {match.group(1)} embassy in your country"
    return GENERIC_EMBASSY


_LABEL_AT_END = re.compile(
    r"\b(fax|tel|phone|telephone|mobile|e-?mail|факс|тел|телефон)\.?\s*:?$", re.IGNORECASE
)


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


def extract_targets(lines: list[str], *, listing: bool = False) -> list[TargetDraft]:
    """Read whom to write to from the lines of an appeal.

    A numbered item ("1: Press office of the KNB") starts a target; the contact lines under it
    ("Email: press@knb.kz", "Tel: ++7 (7172) 74 55 24") belong to it. Contacts inside a
    sentence go to the office named before them ("faxed to the court on the number ...").
    Lines about copies become copy-to addresses; lines about embassies, embassy advice.
    Targets with no way to reach them are left out.
    """
    lines = join_broken_labels(lines)
    found = _Collector()
    current: TargetDraft | None = None
    # ``listing``: the lines are nothing but a list of targets (an admin's edit).
    in_contacts = listing
    # A short line of its own just before the first contact line names its office
    # ("Prosecutor General" / "Email: …"), as letter-writing guides print it.
    heading: str | None = None
    heading_address: str | None = None
    for line in lines:
        if not line:
            continue
        emails = find_emails(line)
        has_number = bool(find_numbers(line))
        numbered = _NUMBERED.match(line)
        if _COPIES.search(line) and emails:
            copies = found.get("Copies", TargetKind.COPY_TO)
            copies.add_contacts(line)
            copies.note = copies.note or "Send copies of your protest here."
            current = None
            continue
        if numbered:
            rest = numbered.group("rest")
            contact_at = first_contact_at(rest)
            name = _tidy(_TRAILING_WORDS.sub("", rest[:contact_at] if contact_at else rest))
            if _EMBASSY.search(rest):
                current = found.embassy(rest)
            else:
                current = found.get(name or "Protest target", TargetKind.PROTEST)
                current.add_contacts(rest)
            in_contacts = True
            continue
        if _CONTACT_LINE.match(line) and current is not None:
            current.add_contacts(line)
            continue
        if is_postal_address(line) and in_contacts and current is not None and not emails:
            current.postal_address = current.postal_address or _postal(line)
            continue
        if is_postal_address(line) and heading and not emails and not has_number:
            heading_address = _postal(line)  # under the office's name, before its contacts
            continue
        if emails or has_number:
            name = name_before_contact(line) or "Protest target"
            if _CONTACT_LINE.match(name) or name == "Protest target":
                fallback = _tidy(heading) if heading else "Protest target"
                name = current.name if current is not None else fallback
            else:
                heading_address = None  # the office is named on this line: not the heading
            heading = None
            current = found.get(name, TargetKind.PROTEST)
            current.add_contacts(line)
            current.postal_address = current.postal_address or heading_address
            heading_address = None
            if len(line) > 60:
                current.note = current.note or _tidy(line)[:300]
            if _EMBASSY.search(line):
                found.embassy(line)
            in_contacts = True
            continue
        if _EMBASSY.search(line) and (in_contacts or _EMBASSY_ADVICE.search(line)):
            found.embassy(line)
            in_contacts = True
            continue
        if _INTRO.search(line):
            in_contacts = True
            current = None
            continue
        if in_contacts and len(line) <= 80 and line[:1].isupper() and not line.endswith("."):
            current = found.get(_tidy(line), TargetKind.PROTEST)
            continue
        heading = line if len(line) <= 80 and not line.endswith((".", "!", "?")) else None
        heading_address = None
        if len(line) > _LONG_PROSE:
            in_contacts = False
            current = None
    return [t for t in found.targets if t.has_contacts or t.kind is TargetKind.EMBASSY]
