"""Whom to write to: the text's address blocks read into offices, and what no office took.

An office is printed as a block: a name and title, a street and town, its numbers and emails,
its salutation, one per line or all on one line, under a lead-in ("Please write to:",
«Адрес для писем»). The lines are split where labels start, each is read by ``spans``, and
the blocks are put together here; ``placing`` then gives loose contacts and letter openings
to the offices they belong to, and reports what none took.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.extract import office_words as words
from bot.extract.countries import countries_in, country_line
from bot.extract.dates import MONTH_PATTERN, dateline_date
from bot.extract.naming import join_broken_labels, name_before_contact, without_lead_in
from bot.extract.office import HIDDEN_NOTE, NAME_LIMIT, Office, Reading
from bot.extract.placing import place
from bot.extract.spans import (
    Label,
    find_emails,
    has_hidden_email,
    is_address_line,
    label_of,
    letter_openers,
    numbers_in,
    read_number,
    salutation_value,
    split_labels,
    unmask_emails,
)
from storage.enums import TargetKind

COPIES = "Copies"
_TRAILING_DATE = re.compile(rf"\s+\d{{1,2}}\s+(?:{MONTH_PATTERN})\s+\d{{4}}\s*$", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"^[\s.…_\-–=*]+$|^\[.*\]$|^\(.*\)$")
_SENTENCE = re.compile(r"(?<=[a-zа-яё]{4}[.!?])\s+(?=[A-ZА-ЯЁ«\"“])")
_RUN = re.compile(r"\+?\(?\d[\d ().\-–/]{5,}\d")
# "Eduard B. (Эдуард Б.) and Andrei A. (Андрэй А.): СІЗА-1. 220030, г. Мінск, …"
_SHARED_ADDRESS = re.compile(r"^(?P<who>[^:\d]{5,160}):\s*(?P<address>[^:]{10,200})$")
_AND = re.compile(r"\s+(?:and|и|і|i|und|et|y|e|oraz|ve)\s+|;\s*")
# "Пишите прокурору области до 20 августа:": the deadline is not part of the office's name.
_DEADLINE_IN_NAME = re.compile(
    r"\s+(?:до|by|before|until|bis|avant|entro|antes del?|hasta|do)\s+\d.*$", re.IGNORECASE
)
# "… napisać: Анжаліка Борыс": a person's name, as the envelope must give it.
_ENVELOPE = re.compile(
    r"^[^:]{0,80}:\s*(?P<name>(?:[A-ZА-ЯЁІЎ][^\W\d_]+)(?:\s+[A-ZА-ЯЁІЎ][^\W\d_]+){1,2})\.?$"
)
# Where a run-on office line turns into advice about it.
_ASIDE = re.compile(r"\s+(?:due to|please|kindly|note:|if you)\b", re.IGNORECASE)
# "… Embassy of X 1600 Massachusetts Ave. NW": a house number starts the street.
_HOUSE_NUMBER = re.compile(r"\s(?=\d{1,5}[a-z]?\s+(?-i:[A-Z]))")
# "(This is the fax number of the reception …": what the number above is.
_NUMBER_IS = re.compile(
    r"^\(\s*(?:this|that|it) is (?:the |a |our )?(?P<kind>fax|phone|telephone)\b", re.IGNORECASE
)
_URL = re.compile(r"\b(?:https?://|www\.)\S+")
_CONTACT_LABELS = (Label.FAX, Label.PHONE, Label.EMAIL)


def _clean(line: str) -> str:
    line = re.sub(r"n°\s*de\s*fax", "Fax", line, flags=re.IGNORECASE)
    line = re.sub(
        r"n°\s*de\s*t[ée]l[ée]phone|standar[dt]\s+t[ée]l[ée]phonique",
        "Tel",
        line,
        flags=re.IGNORECASE,
    )
    line = re.sub(r"^\s*(?:[-•*–·]|\d{1,2}\s*[.):])\s+", "", line)
    line = _TRAILING_DATE.sub("", line)
    return line.strip()


def _name_of(text: str) -> str:
    """Return an office's name from the words before its contacts on a run-on line."""
    text = _SENTENCE.split(text.strip(" :,;–-"))[-1]
    if ": " in text and len(text) > 60:
        text = text.rsplit(": ", 1)[-1]
    text = _ASIDE.split(text, maxsplit=1)[0]  # "… Philippines Due to postal restrictions, …"
    return words.ADDRESSED_TO.sub("", text).strip(" :,;–-")


def _hint_name(text: str) -> str:
    """Return the office a sentence names before its contact ("… to the Board so that …")."""
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
        return ""
    return name[:1].upper() + name[1:]


def _before_contact(line: str) -> str:
    at = [m.start() for m in re.finditer(r"[\w.+-]+@|\+?\(?\d[\d ().-]{5,}\d", line)]
    return line[: min(at)] if at else line


def _is_country_line(line: str) -> bool:
    return country_line(line) is not None


def _kind_of(name: str, kind: TargetKind) -> TargetKind:
    return TargetKind.EMBASSY if words.EMBASSY.search(name) else kind


def _name_and_address(text: str) -> tuple[str, list[str]]:
    """Split a one-line office ("Minister X, Ministry, 06659 Ankara") into its name and the
    address that follows it (from the first street, postcode or country on)."""
    parts = [part.strip() for part in text.split(",")]
    for cut in _HOUSE_NUMBER.finditer(parts[0]):
        if cut.start() > 0 and is_address_line(parts[0][cut.end() :]):
            return parts[0][: cut.start()].strip(), [text[cut.end() :]]
    for at, part in enumerate(parts[1:], start=1):
        if is_address_line(part) or _is_country_line(part):
            return ", ".join(parts[:at]), [", ".join(parts[at:])]
    return text, []


def _one_line_office(name: str) -> bool:
    """Tell whether a name line is a whole office: "Sr. Juan Pérez, Gobernador de Chiapas"."""
    return "," in name and len(name) >= 25


class _Assembler:
    """Walk an appeal's lines, putting each office's block together."""

    def __init__(self, fallback_regions: Sequence[str]) -> None:
        self.fallback_regions = list(fallback_regions)
        self.offices: list[Office] = []
        self.loose: list[Office] = []
        self.openers: list[tuple[str, int]] = []  # a letter's opening, offices read before it
        self.current: Office | None = None
        self.kind = TargetKind.PROTEST
        self.last_label: Label | None = None
        self.listing = False  # under a lead-in: short lines are the offices it lists
        self.via_embassy: str | None = None  # the embassy a lead-in names

    def regions(self, line: str) -> list[str]:
        """Return the regions to read numbers in: the countries the block names, then others."""
        block = " ".join(
            [*(self.current.names + self.current.address if self.current else []), line]
        )
        named: list[str] = []
        if re.search(r"\b[A-Z]{2}\s\d{5}\b|\bD\.?C\.?\b|\bUSA\b|\bU\.S\.", block):
            named.append("US")
        # The host country is named last ("Ambassade de Turquie en France").
        for code, _at in reversed(countries_in(block)):
            if code not in named:
                named.append(code)
        return [*named, *(code for code in self.fallback_regions if code not in named)]

    def start(self, office: Office) -> Office:
        office.listed = office.listed or self.listing
        self.offices.append(office)
        self.current = office
        return office

    def loose_contacts(
        self, hint: str, emails: list[str], label: Label | None, numbers: list[str]
    ) -> None:
        item = Office(names=[hint] if hint else [], emails=emails)
        item.take(label, numbers)
        self.loose.append(item)

    def read(self, pieces: list[str]) -> None:
        position = 0
        while position < len(pieces):
            line = pieces[position]
            following = label_of(pieces[position + 1]) if position + 1 < len(pieces) else None
            rest = self.line(line, following[0] if following else None)
            if rest:
                pieces.insert(position + 1, rest)
            position += 1

    def line(self, line: str, next_label: Label | None) -> str | None:
        """Read one line (or labelled piece); return what a run-on line leaves for the next."""
        line = unmask_emails(_URL.sub(" ", line)).strip()
        if self.said_of_number(line):
            return None
        if not line or _PLACEHOLDER.match(line):
            return None
        labelled = label_of(line)
        if labelled is not None:
            return self.labelled(*labelled)
        heads = words.CONTACTS_OF.match(line)
        if heads:
            self.start(Office(names=[heads.group("name").strip()], kind=self.kind))
            return None
        if next_label in _CONTACT_LABELS and not find_emails(line):
            asks = words.IMPERATIVE.match(line) or words.LEAD_IN.search(line)
            # "Write to the Minister of Internal Affairs" before ", email: …".
            named = name_before_contact(line.rstrip(" :,")) if asks else None
            if named and named != line.rstrip(" :,") and not words.NOT_A_NAME.match(named):
                self.start(Office(names=[named], kind=_kind_of(named, self.kind)))
                return None
            opens_block = self.current is None or self.current.closed
            if len(line) > 60 and opens_block and not _RUN.search(line):
                # "… your country: President: His Excellency … Damascus" before "Fax: …".
                name, address = _name_and_address(_name_of(line)[:NAME_LIMIT])
                self.start(Office(names=[name], address=address, kind=_kind_of(name, self.kind)))
                return None
        openers = letter_openers(line)
        if openers:
            self.openers += [(opener, len(self.offices)) for opener in openers]
            self.current = None
            return None
        emails = find_emails(line)
        has_number = any(
            read_number(run.group(0), self.regions(line), labelled=False)
            for run in _RUN.finditer(line)
        )
        if (
            (words.LEAD_IN.search(line) or words.IMPERATIVE.match(line))
            and not emails
            and not has_number
        ):
            self.current = None
            self.kind = TargetKind.COPY_TO if words.COPIES_WORD.search(line) else TargetKind.PROTEST
            self.last_label = None
            self.listing = True
            embassy = words.ADVICE_EMBASSY.search(line) if words.VIA.search(line) else None
            self.via_embassy = embassy.group(1).strip() if embassy else None
            return None
        if emails or has_number or has_hidden_email(line):
            self.contacts(line, emails)
            return None
        if self.envelope(line):
            return None
        if self.address_in_sentence(line):
            return None
        self.name_or_address(line, next_label)
        return None

    def labelled(self, label: Label, value: str) -> str | None:
        self.last_label = label
        current = self.current
        if label is Label.SALUTATION:
            salute, rest = salutation_value(value)
            if current is not None and salute and current.salutation is None:
                current.salutation = salute
                current.closed = True
            elif salute and current is None:
                self.openers.append((salute, len(self.offices)))
            if rest:
                self.current = None
            return rest or None
        if label is Label.SOCIAL:
            return None
        emails = find_emails(value, lenient=True)
        numbers, rest = numbers_in(
            value, self.regions(value), labelled=label in (Label.FAX, Label.PHONE)
        )
        if label is Label.ADDRESS and not emails:
            self.address_label(value)
            return None
        if not value and current is not None and not current.has_contacts:
            self.current = None  # "Correos:": the list under it is the lead-in's, not this name's
            return None
        if current is None:
            if emails or numbers or has_hidden_email(value):
                self.loose_contacts("", emails, label, numbers)
            return None
        current.take_emails(emails)
        current.take(label if label is not Label.EMAIL else None, numbers)
        if has_hidden_email(value):
            current.notes.append(HIDDEN_NOTE)
        if rest.startswith("("):
            current.notes.append(rest.strip("() "))  # "(via the Ministry of Foreign Affairs)"
        elif rest and is_address_line(rest):
            current.address.append(rest)
        current.closed = True
        return None

    def contacts(self, line: str, emails: list[str]) -> None:
        """Read a line with emails or numbers: the block's own, or a sentence naming its office."""
        numbers, rest = numbers_in(line, self.regions(line), labelled=False)
        text = rest if numbers else line
        only_contacts = not re.search(r"[^\W\d_]{3,}", re.sub(r"\S+@\S+|\([^)]*\)", " ", text))
        label = self.last_label if self.last_label in (Label.FAX, Label.PHONE) else None
        if only_contacts or (numbers and not rest):
            if self.current is not None:
                self.current.take_emails(emails)
                self.current.take(label, numbers)
                self.current.closed = True
            else:
                self.loose_contacts("", emails, label, numbers)
            return
        if has_hidden_email(line) and self.current is not None:
            self.current.notes.append(HIDDEN_NOTE)
        self.current = self.sentence(line)

    def sentence(self, line: str) -> Office | None:
        """Read contacts inside a sentence ("Write to the court: email …, fax …"): the office is
        what the sentence names before them; return the office that took them."""
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-ZА-ЯЁ])", line)
        line = next((s for s in sentences if find_emails(s) or _RUN.search(s)), line)
        found = Office(emails=find_emails(line))
        label: Label | None = None
        previous_end = 0
        for match in _RUN.finditer(line):
            context = line[previous_end : match.start()]
            fax = [m.end() for m in words.FAX_WORD.finditer(context)]
            phone = [m.end() for m in words.PHONE_WORD.finditer(context)]
            if fax and (not phone or fax[-1] > phone[-1]):
                label = Label.FAX
            elif phone:
                label = Label.PHONE
            numbers, _rest = numbers_in(
                match.group(0), self.regions(line), labelled=label is not None
            )
            found.take(label, numbers)
            previous_end = match.end()
        if words.PUBLISHER.search(line):
            found.publisher = True
            self.loose.append(found)
            return self.current
        if words.COPIES_WORD.search(line) and found.emails:
            copies = next((o for o in self.offices if o.names == [COPIES]), None)
            if copies is None:
                copies = Office(names=[COPIES], kind=TargetKind.COPY_TO, closed=True)
                copies.notes.append("Send copies of your protest here.")
                self.offices.append(copies)
            copies.join(found)
            return None
        name = name_before_contact(line)
        if name is not None:
            name = _DEADLINE_IN_NAME.sub("", name).strip(" ,:") or None
        if name is None or label_of(name) is not None or words.IMPERATIVE.match(name):
            if self.current is not None and len(line) <= 120:
                self.current.join(found)
                return self.current
            found.names = [hint] if (hint := _hint_name(_before_contact(line))) else []
            self.loose.append(found)
            return None
        if len(name.split()) > 12:
            found.names = [hint] if (hint := _hint_name(_before_contact(line))) else []
            self.loose.append(found)
            return None
        found.names, found.kind, found.closed = [name], _kind_of(name, self.kind), True
        self.offices.append(found)
        return found

    def said_of_number(self, line: str) -> bool:
        """Read "(This is the fax number of …)" under a number: the number is what it says."""
        said = _NUMBER_IS.match(line)
        last = self.offices[-1] if self.offices else None
        if said is None or last is None:
            return False
        number = last.last_number
        if number is None:
            return False
        fax = words.FAX_WORD.search(said.group("kind")) is not None
        for bucket in (last.phones, last.faxes):
            if number in bucket:
                bucket.remove(number)
        (last.faxes if fax else last.phones).append(number)
        return True

    def envelope(self, line: str) -> bool:
        """Read whom an address just given is for ("Przy liście do X trzeba napisać: Анна
        Борыс"): that person, at that address."""
        named = _ENVELOPE.match(line)
        last = self.offices[-1] if self.offices else None
        if named is None or last is None or not last.address or last.emails or last.phones:
            return False
        if last.recipient:
            self.offices.append(Office(names=[named.group("name")], address=list(last.address)))
        else:
            last.names, last.recipient = [named.group("name")], True
        self.current = None
        return True

    def address_label(self, value: str) -> None:
        """Read "Address: …" (with the addressee's name in it, as on an envelope)."""
        current = self.current
        if current is not None and (not current.closed or not current.address):
            current.address.append(value)
            return
        parts = [part.strip() for part in re.split(r"(?<=[^\s.]{3})\.\s+", value) if part.strip()]
        address = [part for part in parts if is_address_line(part)]
        names = [part for part in parts if part not in address and not re.search(r"\d{4}", part)]
        if names and address:
            self.start(Office(names=names[:1], address=address, kind=self.kind, closed=True))
        elif address:
            self.loose.append(Office(address=[", ".join(address)]))

    def address_in_sentence(self, line: str) -> bool:
        """Read an address a sentence gives ("… to the Center of X: 01024 Kyiv, …"), or the
        address several people share ("A (А) and B (Б): 220030, г. Мінск, …")."""
        shared = _SHARED_ADDRESS.match(line)
        people = _AND.split(shared.group("who")) if shared else []
        if (
            shared is not None
            and is_address_line(shared.group("address"))
            and len(shared.group("who").split()) <= 12
            and all(who.strip()[:1].isupper() for who in people)
        ):
            for who in people:
                self.start(
                    Office(names=[who.strip()], address=[shared.group("address").strip(" ;.")])
                )
            self.current = None
            return True
        if len(line) <= 60:
            return False
        quoted = words.QUOTED_ADDRESS.search(line)
        if quoted is not None:
            parts = [part.strip() for part in quoted.group("quoted").split(",")]
            if parts and not re.search(r"\d", parts[0]):
                self.offices.append(
                    Office(names=parts[:1], address=[", ".join(parts[1:])], kind=self.kind)
                )
                self.current = None
                return True
        to_address = words.TO_ADDRESS.search(line)
        if to_address is not None:
            self.offices.append(
                Office(
                    names=[to_address.group("name")],
                    address=[to_address.group("address")],
                    kind=self.kind,
                )
            )
            self.current = None
            return True
        return False

    def name_or_address(self, line: str, next_label: Label | None) -> None:
        """Read a line of a block that is a name, a title or part of an address."""
        sentence_end = line.endswith(".") and not words.ABBREVIATION_END.search(line)
        address = (
            (is_address_line(line) or _is_country_line(line))
            and not _SENTENCE.search(line)
            and not sentence_end
            and (len(line.split()) <= 12 or sum(map(is_address_line, line.split(","))) >= 2)
        )
        heading = line.endswith(":") and next_label is None
        if (
            len(line) > NAME_LIMIT
            or line.endswith(("!", "?", ";"))
            or sentence_end
            or (_SENTENCE.search(line) and len(line.split()) > 8)
            or heading
            or words.NOT_A_NAME.match(line)
            or words.CONTACT_KINDS.search(line)
            or dateline_date(line) is not None
        ):
            self.current = None
            self.last_label = None
            self.listing = self.listing and len(line) <= NAME_LIMIT
            return
        name = without_lead_in(words.ADDRESSED_TO.sub("", line).strip(" :")) or ""
        current = self.current
        street: list[str] = []
        if "," in name and (current is None or current.closed or not current.address):
            named, found = _name_and_address(name)
            if found and not is_address_line(named) and not _is_country_line(named):
                # "Minister X, Ministry, 06659 Ankara": a whole office on one line.
                name, street, address = named, found, False
        if (
            current is None
            or current.closed
            or (_one_line_office(name) and not address and current.names and not current.address)
            or (current.names and _one_line_office(current.names[0]))
        ):
            if address and current is not None and current.closed and not current.address:
                current.address.append(line)
                return
            current = self.start(Office(kind=_kind_of(line, self.kind)))
            if self.via_embassy:
                # "… send copies via the Cuban Embassy in London:" heads the block under it.
                current.names.append(self.via_embassy)
                current.kind, self.via_embassy = TargetKind.EMBASSY, None
                current.listed = False  # kept for its own contacts, not for the lead-in
        if address or current.address:
            current.address.append(line)
            ends = any(country_line(part) for part in line.split(","))
            if ends and any(map(is_address_line, current.address)):
                current.closed = True  # the country line ends an address
        elif name and len(current.names) < 5:
            current.names.append(name)
            current.address.extend(street)
            if words.EMBASSY.search(name):
                current.kind = TargetKind.EMBASSY


def read_offices(lines: Sequence[str], *, fallback_regions: Sequence[str]) -> Reading:
    """Read the offices an appeal asks to write to, and what it gives that none of them took."""
    assembler = _Assembler(fallback_regions)
    joined = join_broken_labels([_clean(raw) for raw in lines])
    assembler.read([piece for line in joined for piece in split_labels(line)])
    return place(assembler.offices, assembler.loose, assembler.openers, lines, fallback_regions)
