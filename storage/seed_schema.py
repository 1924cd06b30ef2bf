"""The shape of a seed file: one appeal, the cases it concerns, whom to write to."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from storage.contacts import normalize_email, normalize_phone
from storage.enums import (
    AppealKind,
    AppealStatus,
    CaseStatus,
    DatePrecision,
    EventKind,
    TargetKind,
    Urgency,
)

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(min_length=1, max_length=10_000)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Email = Annotated[str, AfterValidator(normalize_email)]
Phone = Annotated[str, AfterValidator(normalize_phone)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class SeedSource(_Strict):
    name: Text
    title: Text | None = None
    url: HttpUrl | None = None


def _partial_date(data: Any, field: str, precision_field: str) -> Any:
    """Accept ``2010-03`` or ``2010`` in ``field``: the first day, with its precision."""
    if not isinstance(data, dict):
        return data
    raw = data.get(field)
    if isinstance(raw, int):
        raw = str(raw)
    if isinstance(raw, str) and (match := _PARTIAL_DATE.match(raw.strip())):
        year, month = match.groups()
        precision = DatePrecision.MONTH if month else DatePrecision.YEAR
        data = {**data, field: f"{year}-{month or '01'}-01"}
        data.setdefault(precision_field, precision.value)
    return data


class SeedEvent(_Strict):
    on_date: date = Field(alias="date")
    precision: DatePrecision = DatePrecision.DAY
    kind: EventKind = EventKind.OTHER
    label: Text
    case: Slug | None = Field(default=None, description="the one case it belongs to")
    labels: dict[Language, Text] = Field(default={}, description="the label in other languages")

    @model_validator(mode="before")
    @classmethod
    def _partial(cls, data: Any) -> Any:
        return _partial_date(data, "date", "precision")


class SeedDemand(_Strict):
    text: LongText
    case: Slug | None = Field(default=None, description="the one case it is about")
    to: list[Slug] = Field(default=[], description="the targets that can act on it")
    solidarity: bool = Field(default=False, description="a programme point, never put to officials")

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, data: Any) -> Any:
        return {"text": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _not_addressed(self) -> SeedDemand:
        if self.solidarity and self.to:
            raise ValueError("a solidarity point is put to nobody: drop its 'to'")
        return self


class SeedCaseText(_Strict):
    """A case's words in one more language, written for this project."""

    name: Text | None = None
    place: Text | None = None
    summary: LongText | None = None
    outcome: LongText | None = None
    about: Text | None = Field(default=None, description="how a letter names it")
    letter_facts: LongText | None = Field(default=None, description="this appeal's facts of it")
    inferred: LongText | None = Field(default=None, description="why it is linked, if inferred")


class SeedAppealText(_Strict):
    """An appeal's words in one more language: its demands in the order of the original."""

    title: Text
    summary: LongText
    letter_facts: LongText | None = None
    demands: list[LongText] = []
    inferred: LongText | None = None
    safety_note: LongText | None = None


class SeedCase(_Strict):
    slug: Slug
    name: Text
    aliases: list[Text] = []
    misspellings: list[Text] = Field(
        default=[], description="a source's misspellings: found by search, never shown"
    )
    country: CountryCode
    place: Text | None = None
    status: CaseStatus = CaseStatus.OPEN
    summary: LongText | None = None
    outcome: LongText | None = None
    about: Text | None = Field(
        default=None, description='how a letter names it: "the case of …", "the … of …"'
    )
    texts: dict[Language, SeedCaseText] = Field(
        default={}, description="the case in other languages"
    )
    letter_facts: LongText | None = Field(
        default=None, description="this case's facts in this appeal, a sentence or two for letters"
    )
    inferred: LongText | None = Field(
        default=None, description="what this record infers beyond its source, and why"
    )


class SeedTargetText(_Strict):
    """A target's words in one more language."""

    name: Text | None = None
    organisation: Text | None = None
    role: Text | None = None
    salutation: Text | None = None
    notes: LongText | None = None
    note: LongText | None = Field(default=None, description="what this appeal says of the target")


class SeedTarget(_Strict):
    key: Slug
    kind: TargetKind
    name: Text
    role: Text | None = None
    organisation: Text | None = None
    country: CountryCode | None = None
    emails: list[Email] = []
    phones: list[Phone] = []
    faxes: list[Phone] = []
    postal_address: LongText | None = None
    salutation: Text | None = None
    notes: LongText | None = None
    note: LongText | None = Field(default=None, description="what this appeal says of the target")
    languages: list[Language] = Field(default=[], description="what it reads, best first")
    texts: dict[Language, SeedTargetText] = Field(
        default={}, description="its name and how a letter to it begins, in other languages"
    )


class SeedAppeal(_Strict):
    slug: Annotated[str, Field(pattern=SLUG_PATTERN, max_length=120)]
    title: Text
    kind: AppealKind = AppealKind.APPEAL
    urgency: Urgency
    status: AppealStatus = AppealStatus.PUBLISHED
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = "en"
    issued_on: date
    issued_precision: DatePrecision = DatePrecision.DAY
    deadline: date | None = None
    summary: LongText
    letter_facts: LongText | None = Field(
        default=None, description="the facts in a sentence or two, for a letter about it all"
    )
    events: list[SeedEvent] = []
    demands: list[SeedDemand] = []
    texts: dict[Language, SeedAppealText] = Field(
        default={}, description="the appeal in other languages"
    )
    source: SeedSource
    inferred: LongText | None = Field(
        default=None, description="what this record infers beyond its source, and why"
    )
    safety_note: LongText | None = Field(
        default=None, description="advice to letter writers, in place of the network's"
    )

    @model_validator(mode="after")
    def _texts_match(self) -> SeedAppeal:
        for language, text in self.texts.items():
            if language == self.language:
                raise ValueError(f"texts.{language} is the appeal's own language")
            if text.demands and len(text.demands) != len(self.demands):
                raise ValueError(
                    f"texts.{language}.demands has {len(text.demands)} demands, "
                    f"the appeal {len(self.demands)}"
                )
        return self

    @model_validator(mode="before")
    @classmethod
    def _partial_issue_date(cls, data: Any) -> Any:
        """Accept ``2010-03`` or ``2010`` for an appeal dated only by month or year."""
        return _partial_date(data, "issued_on", "issued_precision")


class SeedFile(_Strict):
    appeal: SeedAppeal
    cases: Annotated[list[SeedCase], Field(min_length=1)]
    targets: list[SeedTarget] = []

    @model_validator(mode="after")
    def _unique_keys(self) -> SeedFile:
        for label, keys in (
            ("cases", [case.slug for case in self.cases]),
            ("targets", [target.key for target in self.targets]),
        ):
            seen: set[str] = set()
            for key in keys:
                if key in seen:
                    raise ValueError(f"{label}: {key!r} appears twice")
                seen.add(key)
        cases = {case.slug for case in self.cases}
        writable = {t.key for t in self.targets if t.kind is not TargetKind.COPY_TO}
        for n, demand in enumerate(self.appeal.demands, start=1):
            if demand.case is not None and demand.case not in cases:
                raise ValueError(f"demand {n}: case {demand.case!r} is not in this file's cases")
            for key in demand.to:
                if key not in writable:
                    raise ValueError(
                        f"demand {n}: {key!r} is not a protest target or embassy of this file"
                    )
        for n, event in enumerate(self.appeal.events, start=1):
            if event.case is not None and event.case not in cases:
                raise ValueError(f"event {n}: case {event.case!r} is not in this file's cases")
        return self
