"""Whom to write to: the text's address blocks read into offices, and what no office took.

An office is printed as a block: a name and title, a street and town, its numbers and emails,
its salutation, one per line or all on one line, under a lead-in ("Please write to:",
«Адрес для писем»). The lines are split where labels start, each is read by ``spans``, and
the blocks are put together here; contacts no block took are placed by name where they can
be, and reported otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.extract.countries import countries_in
from bot.extract.spans import (
    Label,
    find_emails,
    has_hidden_email,
    is_address_line,
    label_of,
    letter_opener,
    numbers_in,
    salutation_value,
    split_labels,
    words_of,
)
from storage.enums import TargetKind

# Where a list of offices begins, in the languages appeals are written in.
_LEAD_IN = re.compile(
    r"\b(write|send|sent|direct|address|fax|e-?mail|call|contact|protest|appeal)\w*\b.*\b(to|at)\b\s*:?\s*$"
    r"|\bprotests? to\b|\bcop(y|ies) to\b|\bcopie à\b|\bavec copie\b|\bcon copia\b|\bin copia\b"
    r"|\bkopie an\b|\bappell an\b|\bschreiben sie an\b|\bschickt\b.*\ban\b|^an\s*:?$"
    r"|\bescrib\w*\s+a\b|\benv[íi]\w*\s+.*\ba\b\s*:?\s*$|\b[ée]crivez\b|\bscrivete\b|\binviare\b"
    r"|\bescreva\b|\bnapisz\w*\b|\bpiszcie\b|\byaz[ıi]n\b|\bileti[şs]im bilgileri\b|^contact\w*\s*:"
    r"|^kontakt\w*\s*:|пишите|пишіть|пішыце|адрес\w* для (писем|листів)|^контакты|^куда писать"
    r"|please write to|start your letter|following address"
    r"|(contact|poster|faxer|envoy|écri|adress|inviar|scriv|mand|schreib|schick|send|escrib|envi"
    r"|escrev|napis|wysł|gönder|пис|направ|надісл)\w*\b[^:]*:\s*$",
    re.IGNORECASE,
)
_COPIES = re.compile(r"\bcop(y|ies)\b|\bcopie\b|\bcopia\b|\bkopie\b|\bкопи", re.IGNORECASE)
_EMBASSY = re.compile(
    r"embass|ambassad|botschaft|ambasciat|embaixad|embajad|ambasad|büyükelçi|посольств|consulat"
    r"|konsulat|permanent mission|diplomatic representative",
    re.IGNORECASE,
)
# Name lines that head a letter or a section, never an office.
_NOT_A_NAME = re.compile(
    r"^(open letter|lettera aperta|lettre ouverte|offener brief|carta abierta|carta aberta"
    r"|sample letter.*|model letter|proposition de lettre|modelo de carta|musterbrief|list otwarty"
    r"|\[?\(?date\)?\]?|your name|\(?tu podpis\)?|signature|sachlage|hechos|background"
    r"|for communi\w+|protest letter|letter|subject\b.*|soggetto\b.*"
    r"|yours (sincerely|faithfully|truly)"
    r"|sincerely|regards|best wishes|mit freundlichen grü(ß|ss)en|cordialement|atentamente"
    r"|cordiali saluti|с уважением|з повагою|solidarische grü(ß|ss)e)\W*$",
    re.IGNORECASE,
)
_HONORIFIC_TO = re.compile(
    r"^(to|al|alla|allo|a l'attention de|à l'attention de|a la atención de|an den|an die|an das"
    r"|an|à|a|do|до|к)\s+(?=\S)",
    re.IGNORECASE,
)
_TRAILING_DATE = re.compile(r"\s{2,}\d{1,2}\s+\w+\s+\d{4}\s*$")
_PLACEHOLDER = re.compile(r"^[\s.…_\-–=*]+$|^\[.*\]$|^\(.*\)$")
_SENTENCE = re.compile(r"(?<=[a-zа-яё]{4}[.!?])\s+(?=[A-ZА-ЯЁ«\"“])")
# An address given inside a sentence: «… на адресу: «Name, 107076, …»», "… to the Center: 01024 …".
_QUOTED_ADDRESS = re.compile(
    r"(?:адрес\w*|address\w*|adress\w*|adres\w*|direcci\w+|indirizzo)\s*:?\s*[«\"“](?P<q>[^»\"”]{10,200})[»\"”]",
    re.IGNORECASE,
)
_TO_ADDRESS = re.compile(
    r"\bto (?:the )?(?P<name>[A-Z][^:.]{3,60}):\s*"
    r"(?P<address>[^;]*?\d{4,6}[^;]*?)(?=\.\s+[A-Z]|\.?$)"
)
_PUBLISHER = re.compile(
    r"\bif you have (any )?questions\b|\bfor more information\b|\bsubscribe\b|\bunsubscribe\b"
    r"|\blet (me|us) know\b|\bdonat",
    re.IGNORECASE,
)
_ADVICE = re.compile(
    r"\b(send|write|copies|copy|call|fax|mail|phone|contact)\w*\b|mandare|inviare|envoy|écri"
    r"|schreib|schick|send|bellen|escrib|envi|pisz|напиш|пиш|звон|отправ",
    re.IGNORECASE,
)
NAME_LIMIT = 160
_ADVICE_EMBASSY = re.compile(
    r"((?-i:[A-Z][\w.]*\s)?(?:the\s)?(?:diplomatic representatives?|embass(?:y|ies)|consulates?"
    r"|ambasciata|ambassade|botschaft|embajada|embaixada|ambasada)\b[^,.;:!?()]{0,60})",
    re.IGNORECASE,
)


@dataclass
class Office:
    """An office read from the text, with the contacts its block gives."""

    names: list[str] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    faxes: list[str] = field(default_factory=list)
    salutation: str | None = None
    notes: list[str] = field(default_factory=list)
    kind: TargetKind = TargetKind.PROTEST
    closed: bool = False  # its contacts have begun: a name line now starts the next office
    advised: bool = False  # named in a sentence ("…and copies to your embassy"), not a block

    @property
    def name(self) -> str:
        """Return the office's name as its block gives it."""
        name = ", ".join(self.names) or (self.address[0] if self.address else "")
        if len(name) > NAME_LIMIT:
            name = name[:NAME_LIMIT].rsplit(" ", 1)[0] + "…"
        return name

    @property
    def has_contacts(self) -> bool:
        """Tell whether there is a way to reach the office."""
        return bool(self.emails or self.phones or self.faxes or self.address)

    def take(self, label: Label | None, numbers: list[str]) -> None:
        """Add numbers under the label the text gives them (a phone when it gives none)."""
        bucket = self.faxes if label is Label.FAX else self.phones
        for number in numbers:
            if number not in self.faxes and number not in self.phones:
                bucket.append(number)


@dataclass
class Loose:
    """A contact no block took, with the words the text put before it."""

    hint: str
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    faxes: list[str] = field(default_factory=list)
    address: str | None = None
    publisher: bool = False


@dataclass
class Reading:
    """The offices a text gives, and the contacts it could not place."""

    offices: list[Office]
    unplaced: list[str]


def _regions(block: Sequence[str], fallbacks: Sequence[str]) -> list[str]:
    """Return the regions to read a block's numbers in: the countries it names, then others."""
    named: list[str] = []
    text = " ".join(block)
    if re.search(r"\b[A-Z]{2}\s\d{5}\b|\bD\.?C\.?\b|\bUSA\b|\bU\.S\.", text):
        named.append("US")
    # The host country is named last ("Ambassade de Turquie en France").
    for code, _at in reversed(countries_in(text)):
        if code not in named:
            named.append(code)
    return [*named, *(code for code in fallbacks if code not in named)]


_CONTACTS_OF = re.compile(
    r"^(?:contacts?|kontakt\w*|контакты|контакти|contatti|coordonnées|datos de contacto)"
    r"\s+(?:of\s+|des?\s+|di\s+)?(?P<name>[^:]{3,80}):\s*$",
    re.IGNORECASE,
)


def _clean(line: str) -> str:
    line = re.sub(r"n°\s*de\s*fax", "Fax", line, flags=re.I)
    line = re.sub(
        r"n°\s*de\s*t[ée]l[ée]phone|standar[dt]\s+t[ée]l[ée]phonique", "Tel", line, flags=re.I
    )
    line = re.sub(r"^\s*(?:>+\s?)+", "", line)
    line = re.sub(r"^\s*(?:[-•*–·]|\d{1,2}[.)])\s+", "", line)
    line = _TRAILING_DATE.sub("", line)
    return line.strip()


def _name_of(text: str) -> str:
    """Return an office's name from the words before its contacts on a run-on line."""
    text = text.strip(" :,;–-")
    pieces = _SENTENCE.split(text)
    text = pieces[-1]
    if ": " in text and len(text) > 60:
        text = text.rsplit(": ", 1)[-1]
    return _HONORIFIC_TO.sub("", text).strip(" :,;–-")


def _hint_name(text: str) -> str | None:
    """Return the office a sentence names before its contact ("… write to the Board: …")."""
    before = _SENTENCE.split(text.strip(" :,;–-"))[-1]
    match = re.search(
        r"\b(?:to|a|à|an|al|alla|do|до|к|at)\s+(?:the\s+|la\s+|le\s+|el\s+|die\s+|den\s+|der\s+)?"
        r"(?P<name>[^:;]{3,120})$",
        before,
        re.IGNORECASE,
    )
    name = match.group("name") if match else before
    name = re.sub(r"\s+(so that|by|on|at|via|before|if)\b.*$", "", name, flags=re.IGNORECASE)
    name = name.strip(" :,;–-")
    if not name or len(name) > 120 or not re.search(r"[A-ZА-ЯЁ]", name):
        return None
    return name[:1].upper() + name[1:]


def read_offices(lines: Sequence[str], *, fallback_regions: Sequence[str]) -> Reading:
    """Read the offices an appeal asks to write to, and what it gives that none of them took."""
    offices: list[Office] = []
    loose: list[Loose] = []
    openers: list[tuple[str, int]] = []  # (salutation, offices read before it)
    current: Office | None = None
    kind = TargetKind.PROTEST
    last_label: Label | None = None
    hidden = False
    pieces = [piece for raw in lines for piece in split_labels(_clean(raw))] if lines else []
    for position, line in enumerate(pieces):
        if not line or _PLACEHOLDER.match(line):
            continue
        if has_hidden_email(line):
            hidden = True
        labelled = label_of(line)
        block = [*(current.names + current.address if current else []), line]
        regions = _regions(block, fallback_regions)
        if labelled is not None:
            label, value = labelled
            last_label = label
            if label is Label.SALUTATION:
                salute, rest = salutation_value(value)
                if current is not None and salute and current.salutation is None:
                    current.salutation = salute
                    current.closed = True
                elif salute and not current:
                    openers.append((salute, len(offices)))
                if rest:
                    current = None
                    pieces.insert(position + 1, rest)
                continue
            if label is Label.SOCIAL:
                continue
            emails = find_emails(value, lenient=True)
            numbers, rest = numbers_in(value, regions, labelled=label in (Label.FAX, Label.PHONE))
            if label is Label.ADDRESS and not emails:
                _address_line(offices, loose, current, value, kind)
                current = (
                    offices[-1]
                    if offices
                    and offices[-1] is not current
                    and offices[-1].address
                    and value in offices[-1].address[0]
                    else current
                )
                continue
            if (
                not value
                and current is not None
                and not current.address
                and not current.has_contacts
            ):
                current = None  # "Correos:": the list under it is the lead-in's, not this name's
                continue
            if current is None:
                if emails or numbers or has_hidden_email(value):
                    loose.append(_loose("", emails, label, numbers))
                continue
            current.emails.extend(email for email in emails if email not in current.emails)
            current.take(label if label is not Label.EMAIL else None, numbers)
            if has_hidden_email(value):
                current.notes.append("hidden")
            if rest and is_address_line(rest):
                current.address.append(rest)
            current.closed = True
            continue
        heads = _CONTACTS_OF.match(line)
        if heads:
            current = Office(names=[heads.group("name").strip()], kind=kind)
            offices.append(current)
            continue
        following = label_of(pieces[position + 1]) if position + 1 < len(pieces) else None
        if (
            following is not None
            and following[0] in (Label.FAX, Label.PHONE, Label.EMAIL)
            and len(line) > 60
            and not find_emails(line)
        ):
            name = _name_of(line)[:NAME_LIMIT]
            current = Office(names=[name], kind=_kind_of(name, kind))
            offices.append(current)
            continue
        emails = find_emails(line)
        numbers, rest = numbers_in(line, regions, labelled=False)
        opener = letter_opener(line)
        if opener is not None:
            openers.append((opener, len(offices)))
            current = None
            continue
        if _LEAD_IN.search(line) and not emails and not numbers:
            current = None
            kind = TargetKind.COPY_TO if _COPIES.search(line) else TargetKind.PROTEST
            last_label = None
            continue
        if emails or numbers:
            only_contacts = not re.search(
                r"[^\W\d_]{3,}", re.sub(r"\S+@\S+|\([^)]*\)", " ", rest if numbers else line)
            ) or (numbers and not rest)
            if current is not None and only_contacts:
                current.emails.extend(email for email in emails if email not in current.emails)
                current.take(
                    last_label if last_label in (Label.FAX, Label.PHONE) else None, numbers
                )
                current.closed = True
                continue
            if only_contacts:
                loose.append(_loose("", emails, last_label, numbers))
                continue
            _contact_sentence(offices, loose, line, regions, kind)
            current = (
                offices[-1]
                if offices and offices[-1].names == [_name_of(_before_contact(line))]
                else None
            )
            continue
        quoted = _QUOTED_ADDRESS.search(line) or _TO_ADDRESS.search(line)
        if quoted is not None and len(line) > 60:
            parts = [part.strip() for part in (quoted.groupdict().get("q") or "").split(",")]
            if quoted.groupdict().get("name"):
                offices.append(
                    Office(
                        names=[quoted.group("name")],
                        address=[quoted.group("address")],
                        kind=kind,
                        closed=True,
                    )
                )
            elif parts and not re.search(r"\d", parts[0]):
                offices.append(
                    Office(names=[parts[0]], address=[", ".join(parts[1:])], kind=kind, closed=True)
                )
            current = None
            continue
        if (
            len(line) > NAME_LIMIT
            or line.endswith(("!", "?"))
            or (line.endswith(".") and len(line.split()) > 6)
        ):
            current = None
            last_label = None
            continue
        if _NOT_A_NAME.match(line):
            current = None
            continue
        name = _HONORIFIC_TO.sub("", line).strip(" :")
        address = is_address_line(line) or _is_country_line(line)
        one_line = "," in name and len(name) >= 25 and not address
        if (
            current is None
            or current.closed
            or (one_line and current.names and not current.address)
            or (current.names and "," in current.names[0] and len(current.names[0]) >= 25)
        ):
            if address and current is not None and current.closed and not current.address:
                current.address.append(line)
                continue
            current = Office(kind=_kind_of(line, kind))
            offices.append(current)
        if address or (current.address and len(current.names) >= 1):
            current.address.append(line)
        elif len(current.names) < 5:
            current.names.append(name)
            if _EMBASSY.search(name):
                current.kind = TargetKind.EMBASSY
    kept = _merge(
        [
            office
            for office in offices
            if office.names
            and (office.has_contacts or (office.kind is TargetKind.EMBASSY and office.emails))
        ]
    )
    named = [
        office
        for office in offices
        if office.names
        and not office.has_contacts
        and len(office.names) <= 3
        and all(len(name) <= 120 for name in office.names)
    ]
    _advice_embassies(kept, lines, fallback_regions)
    unplaced = _place(kept, named, loose)
    _assign_openers(kept, openers, offices)
    if hidden:
        for office in kept:
            if "hidden" in office.notes:
                office.notes = ["An e-mail address here was hidden by the page's protection."]
    return Reading(offices=kept, unplaced=unplaced)


def _loose(
    hint: str,
    emails: list[str],
    label: Label | None,
    numbers: list[str],
    *,
    publisher: bool = False,
) -> Loose:
    """Return contacts no block took, their numbers under the label the text gave them."""
    fax = label is Label.FAX
    return Loose(
        hint=hint,
        emails=emails,
        phones=[] if fax else numbers,
        faxes=numbers if fax else [],
        publisher=publisher,
    )


def _is_country_line(line: str) -> bool:
    found = countries_in(line)
    return len(found) == 1 and len(line) <= 40 and len(line.split()) <= 4 and found[0][1] <= 12


def _kind_of(line: str, kind: TargetKind) -> TargetKind:
    if _EMBASSY.search(line) and kind is not TargetKind.COPY_TO:
        return TargetKind.EMBASSY
    return kind


def _before_contact(line: str) -> str:
    at = [m.start() for m in re.finditer(r"[\w.+-]+@|\+?\(?\d[\d ().-]{5,}\d", line)]
    return line[: min(at)] if at else line


def _address_line(
    offices: list[Office], loose: list[Loose], current: Office | None, value: str, kind: TargetKind
) -> None:
    """Read "Address: …" (with the addressee's name in it, as on an envelope)."""
    if current is not None and not current.closed:
        current.address.append(value)
        return
    parts = [part.strip() for part in re.split(r"(?<=[^\s.]{3})\.\s+", value) if part.strip()]
    address = [part for part in parts if is_address_line(part)]
    names = [part for part in parts if part not in address and not re.search(r"\d{4}", part)]
    if names and address:
        offices.append(Office(names=names[:1], address=address, kind=TargetKind.PROTEST))
    elif address:
        loose.append(Loose(hint="", address=", ".join(address)))


def _contact_sentence(
    offices: list[Office], loose: list[Loose], line: str, regions: list[str], kind: TargetKind
) -> None:
    """Read a contact inside a sentence: the office is what the sentence names before it."""
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", line)
    line = next(
        (s for s in sentences if find_emails(s) or re.search(r"\d[\d ().-]{6,}\d", s)), line
    )
    before = _before_contact(line)
    emails = find_emails(line)
    label = None
    if re.search(r"\bfax\w*|faks|факс", before, re.IGNORECASE):
        label = Label.FAX
    numbers: list[str] = []
    for match in re.finditer(r"\+?\(?\d[\d ().\-–/]{5,}\d", line):
        found, _rest = numbers_in(match.group(0), regions, labelled=label is not None)
        numbers.extend(number for number in found if number not in numbers)
    if _PUBLISHER.search(line):
        loose.append(_loose(before, emails, label, numbers, publisher=True))
        return
    name = _name_of(before)
    if len(line) <= 120 and name and len(name.split()) <= 12 and not _LEAD_IN.search(before):
        office = Office(names=[name], emails=emails, kind=_kind_of(name, kind), closed=True)
        office.take(label, numbers)
        offices.append(office)
        return
    loose.append(_loose(_hint_name(before) or "", emails, label, numbers))


def _merge(offices: list[Office]) -> list[Office]:
    """Merge an office printed twice (its block, then the sample letter's address)."""
    kept: list[Office] = []
    for office in offices:
        key = words_of(" ".join(office.names))
        twin = next(
            (other for other in kept if key and words_of(" ".join(other.names)) == key), None
        )
        if twin is None:
            twin = next(
                (
                    other
                    for other in kept
                    if len(words_of(" ".join(office.names)) & words_of(" ".join(other.names))) >= 2
                    and not (office.emails or office.phones or office.faxes)
                ),
                None,
            )
        if twin is None:
            kept.append(office)
            continue
        twin.emails.extend(e for e in office.emails if e not in twin.emails)
        twin.phones.extend(p for p in office.phones if p not in twin.phones)
        twin.faxes.extend(f for f in office.faxes if f not in twin.faxes)
        twin.address = twin.address or office.address
        twin.salutation = twin.salutation or office.salutation
        office.names = twin.names  # openers after the copy belong to the first
    return kept


def _place(kept: list[Office], named: list[Office], loose: list[Loose]) -> list[str]:
    """Give loose contacts to the office they name; return the ones no office took."""
    unplaced: list[str] = []
    placed_emails = {email for office in kept for email in office.emails}
    for item in loose:
        item.emails = [email for email in item.emails if email not in placed_emails]
        if item.publisher:
            unplaced.extend(_describe(item))
            continue
        hint = words_of(item.hint)
        target = next(
            (office for office in kept if hint and hint & words_of(" ".join(office.names))), None
        )
        if target is None and item.hint and (item.emails or item.phones or item.faxes):
            target = Office(names=[item.hint], closed=True)
            kept.append(target)
        if target is None:
            for email in list(item.emails):
                owner = _owner_of(email, [*kept, *named])
                if owner is not None:
                    owner.emails.append(email)
                    item.emails.remove(email)
                    if owner not in kept:
                        kept.append(owner)
            if not (item.phones or item.faxes or item.address) and not item.emails:
                continue
            if len(kept) == 1 and not item.address and not kept[0].emails and item.emails:
                target = kept[0]
        if target is None:
            unplaced.extend(_describe(item))
            continue
        target.emails.extend(e for e in item.emails if e not in target.emails)
        target.phones.extend(p for p in item.phones if p not in target.phones)
        target.faxes.extend(f for f in item.faxes if f not in target.faxes)
        if item.address:
            target.address.append(item.address)
    return unplaced


def _owner_of(email: str, offices: list[Office]) -> Office | None:
    """Return the office whose name an address spells ("felipe.calderon@…" → Calderón)."""
    local, _at, domain = email.partition("@")
    local = f"{local}.{domain.rsplit('.', 2)[0]}".lower()
    local_plain = local
    best, score = None, 0
    for office in offices:
        words = words_of(" ".join(office.names))
        hits = sum(1 for word in words if word in local.lower() or word in local_plain)
        if hits > score:
            best, score = office, hits
    if best is None:
        domain_root = domain.split(".")[0]
        for office in offices:
            if any(domain_root in other.split("@")[1] for other in office.emails):
                return office
    return best


def _describe(item: Loose) -> list[str]:
    described = [f"email {email}" for email in item.emails]
    described += [f"phone {phone}" for phone in item.phones]
    described += [f"fax {fax}" for fax in item.faxes]
    if item.address:
        described.append(f"address {item.address}")
    return described


def _advice_embassies(kept: list[Office], lines: Sequence[str], regions: Sequence[str]) -> None:
    """Add the embassy a sentence asks to write to ("…and one to the Belarus Embassy")."""
    if any(_EMBASSY.search(office.name) for office in kept):
        return
    for line in lines:
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            if not _ADVICE.search(sentence):
                continue
            match = _ADVICE_EMBASSY.search(sentence)
            if match is None:
                continue
            name = re.sub(r"^the\s+", "", match.group(1).strip(), flags=re.IGNORECASE)
            name = re.sub(r"\s+(?:and|und|et|e|y|che|которые)\s.*$", "", name)
            if len(name.split()) == 1:
                country = regions[0] if regions else None
                name = (
                    f"Embassy of {_country_name(country)}" if country else "Embassy in your country"
                )
            kept.append(
                Office(names=[name[:1].upper() + name[1:]], kind=TargetKind.EMBASSY, advised=True)
            )
            return


def _country_name(code: str | None) -> str:
    from bot.extract.places import country_display_name

    return country_display_name(code)


def _assign_openers(kept: list[Office], openers: list[tuple[str, int]], read: list[Office]) -> None:
    """Give each letter's opening words to the office it writes to."""
    first = True
    for salute, before in openers:
        words = words_of(salute) - {"dear", "your", "excell", "sehr", "geehrt"}
        match = next(
            (
                office
                for office in kept
                if office.salutation is None and words & words_of(" ".join(office.names))
            ),
            None,
        )
        if match is None and first:
            previous = read[before - 1] if 0 < before <= len(read) else None
            candidates = [o for o in kept if o.salutation is None and not o.advised]
            by_block = next(
                (o for o in candidates if previous is not None and o.names == previous.names), None
            )
            match = by_block or (candidates[0] if candidates else None)
        if match is not None:
            match.salutation = salute
        first = False
