"""An appeal's words in the reader's language where they are written, else its own."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.presentation.labels import original_note
from storage.records import (
    AppealBrief,
    AppealCaseRecord,
    AppealRecord,
    AppealTargetRecord,
    CaseRecord,
    TargetRecord,
)
from templates.i18n import current


@dataclass(frozen=True, slots=True)
class Words:
    """An appeal's words in the reader's language where written, else its own."""

    title: str
    summary: str
    demands: tuple[tuple[str, bool], ...]  # (text, solidarity)
    note: str | None  # said when they are the original, not the reader's language


def appeal_words(appeal: AppealRecord, language: str | None = None) -> Words:
    """Return an appeal's title, summary and demands in a language (default: the reader's)."""
    language = language or current()
    text = appeal.text_in(language)
    own = [(demand.text, demand.solidarity) for demand in appeal.demands]
    if text is None:
        note = original_note(appeal.language) if language == current() else None
        return Words(appeal.title, appeal.summary, tuple(own), note)
    demands = own
    if len(text.demands) == len(own):
        demands = [
            (said, solidarity) for said, (_own, solidarity) in zip(text.demands, own, strict=True)
        ]
    return Words(text.title, text.summary, tuple(demands), None)


def appeal_summary(appeal: AppealBrief) -> tuple[str, str | None]:
    """Return an appeal's summary in the reader's language where written, and the note to
    say when it is the original instead."""
    text = appeal.text_in(current())
    return (text.summary, None) if text else (appeal.summary, original_note(appeal.language))


def event_label(label: str, labels: Mapping[str, str] | None) -> str:
    """Return an event's label in the reader's language where written, else as written."""
    return (labels or {}).get(current()) or label


def target_word(target: TargetRecord, field: str) -> str | None:
    """Return an office's name, organisation or role in the current language where written."""
    return target.said_in(current(), field) or getattr(target, field)


def case_name(case: CaseRecord) -> str:
    """Return a case's name as written in the current language, where it is."""
    text = case.text_in(current())
    return text.name if text and text.name else case.name


def appeal_title(appeal: AppealBrief) -> str:
    """Return an appeal's title in the reader's language where written."""
    text = appeal.text_in(current())
    return text.title if text else appeal.title


def in_language(appeal: AppealBrief, own: str | None, said: str | None) -> str | None:
    """Return words of an appeal's in the reader's language where written, else its own."""
    if current() == appeal.language:
        return own
    return said or own


def appeal_inferred(appeal: AppealBrief) -> str | None:
    """Return what an appeal's record infers beyond its source, in the reader's language."""
    text = appeal.text_in(current())
    return in_language(appeal, appeal.inferred, text.inferred if text else None)


def link_inferred(appeal: AppealBrief, link: AppealCaseRecord) -> str | None:
    """Return why an appeal is linked to a case, when the appeal does not say (None: it does)."""
    return in_language(appeal, link.inferred, link.said_in(current(), "inferred"))


def link_facts(appeal: AppealBrief, link: AppealCaseRecord, language: str) -> str | None:
    """Return what a letter in ``language`` says of one of the appeal's cases."""
    if language == appeal.language:
        return link.letter_facts
    return link.said_in(language, "letter_facts")


def link_note(appeal: AppealBrief, link: AppealTargetRecord) -> str | None:
    """Return what the appeal says of an office, in the reader's language where written."""
    return in_language(appeal, link.note, (link.notes or {}).get(current()))


def target_notes(target: TargetRecord) -> str | None:
    """Return an office's standing notes in the current language where written."""
    return target_word(target, "notes")
