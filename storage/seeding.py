"""Load the structured seed files: validate each whole, then write it in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import SeedError
from storage.database import Database
from storage.enums import AppealStatus
from storage.models import AppealText, CaseText
from storage.repo.appeals import (
    CaseLinkWords,
    DemandSpec,
    EventSpec,
    NewAppeal,
    TargetLink,
    create_appeal,
    get_appeal_by_slug,
)
from storage.repo.cases import upsert_case
from storage.repo.targets import upsert_target
from storage.seed_schema import SeedAppeal, SeedCase, SeedFile

SEED_SUFFIXES = (".yaml", ".yml")
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _SeedLoader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so that a bad date is reported by its field."""


_SeedLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class LoadedSeed:
    path: str
    appeal_slug: str
    created: bool


@dataclass(slots=True)
class SeedReport:
    loaded: list[LoadedSeed] = field(default_factory=list)
    refused: list[SeedError] = field(default_factory=list)

    @property
    def created(self) -> int:
        """Count the appeals this run added."""
        return sum(1 for item in self.loaded if item.created)


def default_seed_dir() -> Path:
    """Return the folder of seed files shipped with appealbot."""
    return Path(str(resources.files("seeds")))


def discover(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the seed files they hold, sorted by name."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in SEED_SUFFIXES))
        else:
            found.append(path)
    return found


def _published_at(appeal: SeedAppeal) -> datetime | None:
    if appeal.status is not AppealStatus.PUBLISHED:
        return None
    return datetime.combine(appeal.issued_on, time(), tzinfo=UTC)


def _field_path(location: Sequence[int | str]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(file)"


def _reason(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def read_seed_file(path: Path) -> SeedFile:
    """Parse and validate one seed file, or raise SeedError naming the field and reason."""
    name = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SeedLoader)
    except OSError as exc:
        raise SeedError(path=name, problems=[("(file)", exc.strerror or str(exc))]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = f"not valid YAML: {exc}".replace("\n", " ")
        raise SeedError(path=name, problems=[("(file)", reason)]) from None
    if not isinstance(raw, dict):
        raise SeedError(path=name, problems=[("(file)", "expected a mapping at the top")])
    try:
        return SeedFile.model_validate(raw)
    except ValidationError as exc:
        problems = [(_field_path(err["loc"]), _reason(err)) for err in exc.errors()]
        raise SeedError(path=name, problems=problems) from None


def _case_words(item: SeedCase) -> CaseLinkWords:
    texts = {
        language: text.model_dump(include={"letter_facts", "inferred"}, exclude_none=True)
        for language, text in item.texts.items()
    }
    return CaseLinkWords(
        letter_facts=item.letter_facts,
        inferred=item.inferred,
        texts={language: said for language, said in texts.items() if said},
    )


async def load_seed(session: AsyncSession, seed: SeedFile) -> bool:
    """Write one validated seed; return whether its appeal was new.

    Existing appeals are left as they are (an admin may have changed them); cases and
    targets gain only what they lack.
    """
    cases = []
    by_slug = {}
    for case_item in seed.cases:
        case, _ = await upsert_case(
            session,
            slug=case_item.slug,
            name=case_item.name,
            country=case_item.country,
            place=case_item.place,
            status=case_item.status,
            summary=case_item.summary,
            outcome=case_item.outcome,
            about=case_item.about,
            aliases=case_item.aliases,
            misspellings=case_item.misspellings,
            texts=[
                CaseText(
                    language=language,
                    name=text.name,
                    place=text.place,
                    summary=text.summary,
                    outcome=text.outcome,
                    about=text.about,
                )
                for language, text in case_item.texts.items()
            ],
        )
        cases.append(case)
        by_slug[case_item.slug] = case
    links = []
    targets = {}
    for target_item in seed.targets:
        target = await upsert_target(
            session,
            key=target_item.key,
            name=target_item.name,
            role=target_item.role,
            organisation=target_item.organisation,
            country=target_item.country,
            emails=target_item.emails,
            phones=target_item.phones,
            faxes=target_item.faxes,
            postal_address=target_item.postal_address,
            salutation=target_item.salutation,
            notes=target_item.notes,
            languages=target_item.languages,
            texts={
                language: text.model_dump(exclude_none=True, exclude={"note"})
                for language, text in target_item.texts.items()
            },
        )
        notes = {language: text.note for language, text in target_item.texts.items() if text.note}
        links.append(
            TargetLink(target=target, kind=target_item.kind, note=target_item.note, notes=notes)
        )
        targets[target_item.key] = target
    appeal = seed.appeal
    if await get_appeal_by_slug(session, appeal.slug) is not None:
        return False
    await create_appeal(
        session,
        NewAppeal(
            slug=appeal.slug,
            title=appeal.title,
            summary=appeal.summary,
            kind=appeal.kind,
            urgency=appeal.urgency,
            status=appeal.status,
            language=appeal.language,
            issued_on=appeal.issued_on,
            issued_precision=appeal.issued_precision,
            deadline=appeal.deadline,
            source_name=appeal.source.name,
            source_url=str(appeal.source.url) if appeal.source.url else None,
            published_at=_published_at(appeal),
            cases=cases,
            demands=[
                DemandSpec(
                    text=demand.text,
                    solidarity=demand.solidarity,
                    case=by_slug[demand.case] if demand.case else None,
                    addressees=[targets[key] for key in demand.to],
                )
                for demand in appeal.demands
            ],
            events=[
                EventSpec(
                    on_date=event.on_date,
                    label=event.label,
                    precision=event.precision,
                    kind=event.kind,
                    case=by_slug[event.case] if event.case else None,
                    labels=event.labels,
                )
                for event in appeal.events
            ],
            targets=links,
            letter_facts=appeal.letter_facts,
            inferred=appeal.inferred,
            safety_note=appeal.safety_note,
            case_words={by_slug[item.slug].id: _case_words(item) for item in seed.cases},
            texts=[
                AppealText(
                    language=language,
                    title=text.title,
                    summary=text.summary,
                    letter_facts=text.letter_facts,
                    demands=list(text.demands),
                    inferred=text.inferred,
                    safety_note=text.safety_note,
                )
                for language, text in appeal.texts.items()
            ],
        ),
    )
    return True


async def load_seed_files(db: Database, paths: Iterable[Path]) -> SeedReport:
    """Validate every file, then load the valid ones oldest appeal first, one transaction each."""
    report = SeedReport()
    valid: list[tuple[Path, SeedFile]] = []
    for path in discover(paths):
        try:
            valid.append((path, read_seed_file(path)))
        except SeedError as exc:
            report.refused.append(exc)
    # Oldest first, so the first appeal to describe a case gives its stored summary.
    valid.sort(key=lambda item: (item[1].appeal.issued_on, item[1].appeal.slug))
    for path, seed in valid:
        async with db.unit() as unit:
            created = await load_seed(unit.session, seed)
        report.loaded.append(LoadedSeed(str(path), seed.appeal.slug, created))
    return report
