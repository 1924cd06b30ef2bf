"""The shape of a seed file: one appeal, the cases it concerns, whom to write to."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from storage.contacts import normalize_email, normalize_phone
from storage.enums import AppealKind, AppealStatus, CaseStatus, DatePrecision, TargetKind, Urgency

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(min_length=1, max_length=10_000)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
Email = Annotated[str, AfterValidator(normalize_email)]
Phone = Annotated[str, AfterValidator(normalize_phone)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class SeedSource(_Strict):
    name: Text
    title: Text | None = None
    url: HttpUrl | None = None


class SeedEvent(_Strict):
    on_date: date = Field(alias="date")
    label: Text


class SeedCase(_Strict):
    slug: Slug
    name: Text
    aliases: list[Text] = []
    country: CountryCode
    place: Text | None = None
    status: CaseStatus = CaseStatus.OPEN
    summary: LongText | None = None
    outcome: LongText | None = None


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
    events: list[SeedEvent] = []
    demands: list[LongText] = []
    source: SeedSource

    @model_validator(mode="before")
    @classmethod
    def _partial_issue_date(cls, data: Any) -> Any:
        """Accept ``2010-03`` or ``2010`` for an appeal dated only by month or year."""
        if not isinstance(data, dict):
            return data
        raw = data.get("issued_on")
        if isinstance(raw, int):
            raw = str(raw)
        if isinstance(raw, str) and (match := _PARTIAL_DATE.match(raw.strip())):
            year, month = match.groups()
            precision = DatePrecision.MONTH if month else DatePrecision.YEAR
            data = {**data, "issued_on": f"{year}-{month or '01'}-01"}
            data.setdefault("issued_precision", precision.value)
        return data


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
        return self
