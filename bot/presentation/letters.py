"""Letters: one for each office an appeal names, in the first person, with how to send it.

Each protest target and embassy gets its own letter: its own salutation, the facts of the
case in a sentence or two written for letters (never the appeal's summary), and only the
demands that office can act on. Solidarity points go to no official. A target that can only
be phoned gets a call script instead of a letter; one the appeal gives no way to reach is
named, not written to.

A letter is written in a language the office reads (its target's languages, best first),
where the appeal's words exist in it; the reader, who may read another, picks among them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from bot.presentation.labels import (
    age_note,
    country_name,
    format_date,
    format_phone,
    language_name,
)
from bot.presentation.localized import (
    appeal_title,
    case_name,
    link_facts,
    link_note,
    target_notes,
    target_word,
)
from storage.enums import TargetKind
from storage.records import AppealRecord, AppealTargetRecord, CaseRecord, DemandRecord
from storage.standing import Age, Standing
from templates import Templates
from templates.i18n import LANGUAGES, _, current, speaking

# Airmail takes a week or more: post only when the deadline leaves time for it.
POST_DAYS = 14
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZА-ЯЁ“«\"'])")
# A person's name: two to four capitalised words, nothing else ("Ainur Kurmanov").
_PERSON = re.compile(r"^[A-ZА-ЯЁ][\w'’-]+(?: [A-ZА-ЯЁ][\w'’-]+){1,3}$")


@dataclass(frozen=True, slots=True)
class Envelope:
    """A postal address as it goes on the envelope, and whether there is time for post."""

    lines: tuple[str, ...]
    in_time: bool


@dataclass(frozen=True, slots=True)
class TargetLetter:
    """One office: how to reach it and what to send it."""

    number: int
    name: str
    organisation: str | None
    embassy: bool
    emails: tuple[str, ...]
    faxes: tuple[str, ...]
    phones: tuple[str, ...]
    envelope: Envelope | None
    subject: str
    letter: str | None  # None: it can only be phoned
    call_script: str | None  # for a target with a phone number
    mailto: str | None  # the letter in a mailto: link, for clients that open one
    notes: tuple[str, ...]
    salutation: str = ""
    same_as: int | None = None  # the number of an earlier letter with the same words after it
    same_greeting: bool = False  # ... and the same salutation: word for word the same letter


@dataclass(frozen=True, slots=True)
class CallGroup:
    """Offices to phone that are told the same words."""

    names: tuple[tuple[str, tuple[str, ...]], ...]  # (office, its numbers)
    script: str


@dataclass(frozen=True, slots=True)
class LetterPack:
    """Every letter for one appeal, about one of its cases or about all of them."""

    appeal_id: int
    title: str
    date: str
    about: str  # "Ainur Kurmanov"
    age_note: str | None
    letters: tuple[TargetLetter, ...]
    unreachable: tuple[str, ...]  # offices named without any way to reach them
    copies: tuple[str, ...]
    copy_notes: tuple[str, ...]
    language: str = "en"  # what the letters are written in
    letter_language_name: str = "English"  # its name, in the reader's language
    languages: tuple[str, ...] = ("en",)  # what they could be written in, best first
    language_note: str | None = None  # the offices read a language the appeal is not in
    asks: bool = True  # False: the appeal is closed and its letters are a record only
    safety_note: str | None = None

    @property
    def writable(self) -> tuple[TargetLetter, ...]:
        """Return the targets that get a letter (not only a call)."""
        return tuple(item for item in self.letters if item.letter is not None)

    @property
    def calls(self) -> tuple[TargetLetter, ...]:
        """Return the targets to phone, with their scripts."""
        return tuple(item for item in self.letters if item.call_script is not None)

    @property
    def call_groups(self) -> tuple[CallGroup, ...]:
        """Return the calls, offices told the same words together (each script said once)."""
        groups: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for item in self.calls:
            assert item.call_script is not None
            groups.setdefault(item.call_script, []).append((item.name, item.phones))
        return tuple(CallGroup(tuple(names), script) for script, names in groups.items())

    @property
    def faxes(self) -> bool:
        """Tell whether any letter goes by fax."""
        return any(item.faxes for item in self.writable)


def is_person(name: str) -> bool:
    """Tell whether a case's name is a person's ("Ainur Kurmanov"), not a campaign's."""
    return bool(_PERSON.match(name)) and not any(char.isdigit() for char in name)


def subject_phrase(cases: Sequence[CaseRecord]) -> str:
    """Return what a letter is about: "the case of Ainur Kurmanov", "the Taraz arrests"."""
    phrases = [case_about(c) for c in cases]
    if len(phrases) <= 1:
        return phrases[0] if phrases else _("this case")
    return _("%(first)s and %(last)s") % {"first": ", ".join(phrases[:-1]), "last": phrases[-1]}


def case_about(case: CaseRecord) -> str:
    """Return how a letter names a case, in the current language."""
    text = case.text_in(current())
    if text is not None and text.about:
        return text.about
    if current() == "en" and case.about:
        return case.about
    if is_person(case.name):
        return _("the case of %(name)s") % {"name": case_name(case)}
    return _("the %(name)s") % {"name": case_name(case)}


def first_sentence(text: str) -> str:
    """Return the first sentence of a text."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[1].islower():
        return text[:1].lower() + text[1:]
    return text


def _facts(
    appeal: AppealRecord, focus: CaseRecord | None, cases: Sequence[CaseRecord], language: str
) -> str:
    own = language == appeal.language
    text = appeal.text_in(language)
    if focus is not None:
        for link in appeal.case_links:
            if link.case_id == focus.id and (facts := link_facts(appeal, link, language)):
                return facts
    facts = appeal.letter_facts if own else (text.letter_facts if text else None)
    if facts:
        return facts
    # No facts were written for letters: name the appeal, never paste its summary.
    return _("I have read the appeal “%(title)s” of %(date)s about %(about)s.") % {
        "title": text.title if text else appeal.title,
        "date": format_date(appeal.issued_on, appeal.issued_precision),
        "about": subject_phrase(cases),
    }


def letter_languages(appeal: AppealRecord) -> list[str]:
    """Return the languages letters about an appeal can be written in, those its offices
    read first."""
    asked = [demand for demand in appeal.demands if not demand.solidarity]
    written = [appeal.language] + [
        text.language for text in appeal.texts if text.demands or not asked
    ]
    offered = [language for language in written if language in LANGUAGES]
    read: list[str] = []
    for link in appeal.targets:
        if link.kind is not TargetKind.COPY_TO:
            read += [code for code in link.target.languages or () if code not in read]
    best = [language for language in read if language in offered]
    return best + [language for language in offered if language not in best]


def _addressed(demand: DemandRecord, target_id: int) -> bool:
    return not demand.addressees or any(t.id == target_id for t in demand.addressees)


def demands_for(
    appeal: AppealRecord, target_id: int, focus: CaseRecord | None, language: str | None = None
) -> list[str] | None:
    """Return what one office is asked for (None: nothing it can do about this case).

    About one case, an office must be able to act on a demand about that case, if the
    appeal makes any; the appeal's general demands then come with it.
    """
    asked = [demand for demand in appeal.demands if not demand.solidarity]
    if not asked:
        return []
    if focus is not None:
        own = [d for d in asked if d.case_id == focus.id]
        if own and not any(_addressed(d, target_id) for d in own):
            return None
        asked = [d for d in asked if d.case_id in (None, focus.id)]
    words = {demand.id: demand.text for demand in appeal.demands}
    text = appeal.text_in(language) if language else None
    if text is not None and len(text.demands) == len(appeal.demands):
        words = {d.id: said for d, said in zip(appeal.demands, text.demands, strict=True)}
    chosen = [words[d.id] for d in asked if _addressed(d, target_id)]
    return chosen or None


def _only_case(appeal: AppealRecord, target_id: int) -> CaseRecord | None:
    """Return the one case every demand put to an office is about (None: not just one)."""
    put = [d for d in appeal.demands if not d.solidarity and _addressed(d, target_id)]
    cases = {d.case_id for d in put}
    if len(cases) != 1 or None in cases:
        return None
    return next((case for case in appeal.cases if case.id in cases), None)


def envelope_lines(name: str, address: str, country: str | None) -> list[str]:
    """Lay an address out for an envelope: name, street, postcode and town, COUNTRY.

    Addresses from the former Soviet Union are often written the other way round
    ("010000, Republic of Kazakhstan, Almaty, ul Seifullina 73"); those are turned.
    """
    parts = [p.strip() for p in re.split(r"\n|,\s*", address) if p.strip()]
    country_part = next(
        (p for p in parts if country and (country.lower() in p.lower() or "republic" in p.lower())),
        None,
    )
    rest = [p for p in parts if p is not country_part]
    if rest and re.fullmatch(r"\d{4,6}", rest[0]):
        postcode, places = rest[0], rest[1:][::-1]
        if places:
            places[-1] = f"{postcode} {places[-1]}"
        rest = places or [postcode]
    lines = [name, *rest]
    if country_part or country:
        lines.append((country_part or country or "").upper())
    return lines


def _envelope(link: AppealTargetRecord, age: Age, country: str | None) -> Envelope | None:
    target = link.target
    if not target.postal_address:
        return None
    lines = envelope_lines(target.name, target.postal_address, country)
    in_time = age.days_left is None or age.days_left >= POST_DAYS
    return Envelope(tuple(lines), in_time)


def _body(letter: str | None) -> str | None:
    """Return a letter without its first line (the salutation)."""
    return letter.split("\n", 1)[1] if letter and "\n" in letter else letter


def _mailto(emails: Sequence[str], copies: Sequence[str], subject: str, body: str) -> str:
    query = f"subject={quote(subject)}&body={quote(body)}"
    if copies:
        query = f"cc={quote(','.join(copies))}&{query}"
    return f"mailto:{','.join(emails)}?{query}"


class LetterWriter:
    """Write the letters, call scripts and envelopes for an appeal."""

    def __init__(self, templates: Templates, *, safety_notes: Mapping[str, str] | None = None):
        self._templates = templates
        # The network's own advice to letter writers, by country (ISO code) or "*" for all.
        self._safety_notes = dict(safety_notes or {})

    def safety_note(self, appeal: AppealRecord, country: str | None) -> str:
        """Return the advice on signing that goes with every letter about an appeal."""
        text = appeal.text_in(current())
        own = appeal.safety_note if current() == appeal.language else None
        note = (text.safety_note if text else None) or own
        note = note or self._safety_notes.get(country or "") or self._safety_notes.get("*")
        if note:
            return note
        where = country_name(country) if country else _("the country")
        return _(
            "If you have family in %(country)s, or plan to travel there, you may sign with "
            "your initials and town only."
        ) % {"country": where}

    def pack(
        self,
        appeal: AppealRecord,
        age: Age,
        *,
        focus: CaseRecord | None = None,
        language: str | None = None,
    ) -> LetterPack:
        """Return a letter for every office of the appeal that can act on its demands, in
        ``language`` if it can be written in it, else the best the offices read."""
        languages = letter_languages(appeal)
        if language not in languages:
            # The reader's own language when a letter can be written in it (they can check
            # what they sign); else the one the offices read best.
            language = current() if current() in languages else languages[0]
        chosen = language
        note = None
        # Offices that read other languages than the letters are in, best first.
        other: list[str] = []
        for link in appeal.targets:
            if link.kind is not TargetKind.COPY_TO and chosen not in (
                link.target.languages or [chosen]
            ):
                other += [code for code in link.target.languages or () if code not in other]
        if other:
            readable = [code for code in other if code in languages]
            names = ", ".join(language_name(code) for code in (readable or other))
            note = (
                _(
                    "Some of these offices read %(languages)s: the button below writes the "
                    "letters in it."
                )
                if readable
                else _(
                    "Some of these offices read %(languages)s, but this appeal has no text in "
                    "it yet: the letters are in %(language)s."
                )
            ) % {"languages": names, "language": language_name(chosen)}
        reader = current()
        with speaking(chosen):
            pack = self._pack(appeal, age, focus, chosen, reader)
        name = ", ".join(case_name(c) for c in ([focus] if focus else appeal.cases))
        country = focus or (appeal.cases[0] if appeal.cases else None)
        safety = self.safety_note(appeal, country.country if country else None)
        return LetterPack(
            appeal_id=appeal.id,
            title=appeal_title(appeal),
            date=format_date(appeal.issued_on, appeal.issued_precision),
            about=name,
            age_note=age_note(age),
            letters=pack.letters,
            unreachable=pack.unreachable,
            copies=pack.copies,
            copy_notes=pack.copy_notes,
            language=chosen,
            letter_language_name=language_name(chosen),
            languages=tuple(languages),
            language_note=note,
            asks=age.standing is not Standing.ARCHIVED,
            safety_note=safety,
        )

    def _pack(
        self, appeal: AppealRecord, age: Age, focus: CaseRecord | None, language: str, reader: str
    ) -> LetterPack:
        cases = [focus] if focus is not None else list(appeal.cases)
        about = subject_phrase(cases)
        name = ", ".join(case_name(c) for c in cases)
        facts = _facts(appeal, focus, cases, language)
        whole = (about, name, facts)
        country = country_name(cases[0].country) if cases else None
        own = language == appeal.language
        copies = tuple(
            email
            for link in appeal.targets
            if link.kind is TargetKind.COPY_TO
            for email in link.target.emails
        )
        copy_notes = tuple(
            link.note or link.target.name
            for link in appeal.targets
            if link.kind is TargetKind.COPY_TO and not link.target.emails
        )
        letters: list[TargetLetter] = []
        unreachable: list[str] = []
        for link in appeal.targets:
            if link.kind is TargetKind.COPY_TO:
                continue
            target = link.target
            demands = demands_for(appeal, target.id, focus, language)
            if demands is None:
                continue  # nothing this office can do about this case
            only = focus or _only_case(appeal, target.id)
            if only is not None and only is not focus:
                # An office that can act on one case only (a court) is written to about it.
                about, name = subject_phrase([only]), case_name(only)
                facts = _facts(appeal, only, [only], language)
            else:
                about, name, facts = whole
            embassy = link.kind is TargetKind.EMBASSY
            reachable = target.emails or target.faxes or target.postal_address
            if not (reachable or target.phones or embassy):
                unreachable.append(str(target_word(target, "name")))
                continue
            subject = _("%(name)s: a letter of concern") % {"name": name}
            salutation = target.salutation if own else target.said_in(language, "salutation")
            values = {
                "salutation": salutation
                or (_("Your Excellency,") if embassy else _("Dear Sir or Madam,")),
                "about": about,
                "facts": facts,
                "demands": demands,
                "only": _lower_first(demands[0]) if len(demands) == 1 else None,
                "country": country or _("the country"),
            }
            letter = None
            if reachable or embassy:
                template = "embassy" if embassy else "protest"
                letter = self._templates.letter(template, language=language, **values)
            script = None
            if target.phones:
                script = self._templates.letter(
                    "call",
                    language=language,
                    about=about,
                    fact=first_sentence(facts),
                    ask=_lower_first(demands[0]).rstrip(".") if demands else None,
                )
            with speaking(reader):
                said = link_note(appeal, link) or target_notes(target)
            notes = tuple(note for note in (said,) if note)
            writes = sum(1 for item in letters if item.letter is not None)
            body = _body(letter)
            twin = next(
                (
                    item
                    for item in letters
                    if letter is not None and item.same_as is None and _body(item.letter) == body
                ),
                None,
            )
            same_as = twin.number if twin else None
            greeting = str(values["salutation"])
            same_greeting = twin is not None and twin.salutation == greeting
            letters.append(
                TargetLetter(
                    number=writes + 1 if letter is not None else 0,
                    name=str(target_word(target, "name")),
                    organisation=(
                        organisation
                        if (organisation := target_word(target, "organisation"))
                        != target_word(target, "name")
                        else None
                    ),
                    embassy=embassy,
                    emails=tuple(target.emails),
                    faxes=tuple(format_phone(fax) for fax in target.faxes),
                    phones=tuple(format_phone(phone) for phone in target.phones),
                    envelope=_envelope(
                        link, age, country_name(target.country) if target.country else country
                    ),
                    subject=subject,
                    letter=letter,
                    call_script=script,
                    mailto=(
                        _mailto(target.emails, copies, subject, letter)
                        if letter and target.emails
                        else None
                    ),
                    notes=notes,
                    salutation=greeting,
                    same_as=same_as,
                    same_greeting=same_greeting,
                )
            )
        return LetterPack(
            appeal_id=appeal.id,
            title=appeal.title,
            date=format_date(appeal.issued_on, appeal.issued_precision),
            about=name,
            age_note=age_note(age),
            letters=tuple(letters),
            unreachable=tuple(unreachable),
            copies=copies,
            copy_notes=copy_notes,
        )
