"""The shipped seeds: every fact and contact of the source appeals, loaded idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import (
    Appeal,
    AppealEvent,
    AppealTarget,
    AuditEntry,
    Case,
    CaseName,
    Delivery,
    Demand,
    Protest,
    Subscriber,
    Target,
)
from storage.repo.appeals import get_appeal_by_slug, list_appeals
from storage.repo.cases import get_case_by_slug
from storage.seeding import default_seed_dir, load_seed_files, read_seed_file
from tests.support.databases import MigratedDatabase

SEED_DIR = default_seed_dir()
TABLES = [Appeal, AppealEvent, AppealTarget, Case, CaseName, Demand, Target]


async def table_counts(session: AsyncSession) -> dict[str, int]:
    counts: dict[str, int] = {}
    for model in [*TABLES, Subscriber, Delivery, Protest, AuditEntry]:
        count = await session.scalar(select(func.count()).select_from(model))
        counts[str(model.__tablename__)] = count or 0
    return counts


async def snapshot(session: AsyncSession) -> list[Any]:
    rows: list[Any] = []
    for model in TABLES:
        columns = [column for column in model.__table__.columns if column.name != "updated_at"]
        result = await session.execute(select(*columns).order_by(*model.__table__.primary_key))
        rows.append([tuple(row) for row in result])
    return rows


@pytest.fixture
async def seeded(db: MigratedDatabase) -> MigratedDatabase:
    report = await load_seed_files(db.database, [SEED_DIR])
    assert report.refused == []
    assert report.created == 5
    return db


def test_there_is_one_seed_file_per_source_appeal() -> None:
    files = sorted(SEED_DIR.glob("*.yaml"))
    assert len(files) == 5
    for path in files:
        seed = read_seed_file(path)
        assert seed.appeal.slug == path.stem


async def test_seeds_load_and_reload_to_the_same_rows(seeded: MigratedDatabase) -> None:
    async with seeded.sessions() as session:
        counts = await table_counts(session)
        before = await snapshot(session)
    assert counts["appeals"] == 5
    assert counts["cases"] == 7
    assert counts["subscribers"] == counts["deliveries"] == 0
    report = await load_seed_files(seeded.database, [SEED_DIR])
    assert report.created == 0
    assert report.refused == []
    async with seeded.sessions() as session:
        assert await table_counts(session) == counts
        assert await snapshot(session) == before


async def test_every_contact_in_the_source_texts_is_present(seeded: MigratedDatabase) -> None:
    async with seeded.sessions() as session:
        targets = {t.key: t for t in (await session.scalars(select(Target))).all()}
    emails = {email for target in targets.values() for email in target.emails}
    assert emails >= {
        "mid@mid.kz",
        "press@knb.kz",
        "delta@police.kz",
        "robert.cwi@gmail.com",
        "ainur1917@gmail.com",
    }
    court = targets["almaty-court-tikhonov"]
    assert court.faxes == ["+77272715802"]
    assert court.phones == ["+77272715807"]
    assert targets["kz-presidential-administration"].phones == ["+77172745524"]
    procurator = targets["kz-general-procurator"]
    assert procurator.postal_address == "010000, Republic of Kazakhstan, Almaty, ul Seifullina 73"
    assert targets["knb-press-office"].emails == ["press@knb.kz"]
    assert targets["almaty-police-press-office"].emails == ["delta@police.kz"]


async def test_copies_to_addresses_are_copy_targets(seeded: MigratedDatabase) -> None:
    async with seeded.sessions() as session:
        appeal = await get_appeal_by_slug(session, "2011-05-02-may-day-attack")
    assert appeal is not None
    kinds = {link.target.key: link.kind.value for link in appeal.targets}
    assert kinds["cwi-copies"] == "copy_to"
    assert kinds["kz-embassy"] == "embassy"
    assert kinds["kz-foreign-ministry"] == "protest"
    copies = next(link.target for link in appeal.targets if link.kind.value == "copy_to")
    assert copies.emails == ["robert.cwi@gmail.com", "ainur1917@gmail.com"]


async def test_every_spelling_is_kept_as_an_alias(seeded: MigratedDatabase) -> None:
    expected = {
        "dmitry-tikhonov": {"Dmitry Tikhonov", "Dmitri Tikhonv", "Dima"},
        "ainur-kurmanov": {"Ainur Kurmanov", "Aimur", "Ainur"},
        "vadim-kuramshin": {"Vadim Kuramshin", "Vadim Karamshin"},
        "taraz-arrests-2010": {"Vladimir Lomaev", "Mikhail"},
        "may-day-2011-almaty": {"Bakhytgul Ukteshbaeva"},
        "january-2012-arrests": {"Vladimir Kozlov", "Igor Vinyavskii", "Arman Ozhaubaev"},
        "shanyrak-residents": {"Shanyrak"},
    }
    async with seeded.sessions() as session:
        for slug, names in expected.items():
            case = await get_case_by_slug(session, slug)
            assert case is not None, slug
            assert names <= {name.name for name in case.names}, slug
            assert case.summary, f"{slug} has a summary"


async def test_aliases_are_only_of_each_cases_own_people(seeded: MigratedDatabase) -> None:
    async with seeded.sessions() as session:
        names = {
            (row.case.slug, row.name)
            for row in await session.scalars(select(CaseName).options(selectinload(CaseName.case)))
        }
    # Someone a flash mob targeted, a movement, a party: none of them is a case's person.
    for outsider in ("Esenbek Ukteshbayev", "Kazakhstan 2012", "Alga", "People's Front"):
        assert not any(name == outsider for _, name in names), outsider


def test_inferences_are_marked_in_the_seed_files() -> None:
    taraz = read_seed_file(SEED_DIR / "2010-03-taraz-arrests.yaml")
    tikhonov = next(case for case in taraz.cases if case.slug == "dmitry-tikhonov")
    assert tikhonov.inferred
    assert "No appeal says so" in tikhonov.inferred
    assert tikhonov.texts["ru"].inferred, "an inference is said in every language"
    assert "Dmitri Tikhonv" in tikhonov.misspellings, "kept for search, not shown"
    assert taraz.appeal.source.url is not None
    assert "2010/03/09" in str(taraz.appeal.source.url)
    shanyrak = read_seed_file(SEED_DIR / "2007-04-20-kurmanov-shanyrak.yaml")
    assert shanyrak.appeal.inferred
    assert "20 April 2007" in shanyrak.appeal.inferred


async def test_appeals_are_dated_and_ordered_as_their_sources(seeded: MigratedDatabase) -> None:
    async with seeded.sessions() as session:
        listed = await list_appeals(session)
    dated = [(appeal.slug, appeal.issued_on.isoformat()) for appeal in listed if appeal.issued_on]
    assert dated == [
        ("2012-01-new-wave-of-arrests", "2012-01-01"),
        ("2011-05-20-socialist-action-statement", "2011-05-20"),
        ("2011-05-02-may-day-attack", "2011-05-02"),
        ("2010-03-taraz-arrests", "2010-03-09"),
        ("2007-04-20-kurmanov-shanyrak", "2007-04-20"),
    ]
    shanyrak = listed[-1]
    assert shanyrak.source_url is not None
    assert "2007/04/20" in shanyrak.source_url
    statement = listed[1]
    assert statement.source_url is not None
    assert "2011/05/20" in statement.source_url, "where the statement's date comes from"


async def test_demands_carry_their_addressees_and_solidarity_apart(
    seeded: MigratedDatabase,
) -> None:
    async with seeded.sessions() as session:
        may_day = await get_appeal_by_slug(session, "2011-05-02-may-day-attack")
        shanyrak = await get_appeal_by_slug(session, "2007-04-20-kurmanov-shanyrak")
        taraz = await get_appeal_by_slug(session, "2010-03-taraz-arrests")
    assert may_day is not None
    assert shanyrak is not None
    assert taraz is not None
    assert [d.solidarity for d in may_day.demands] == [False] * 6 + [True, True]
    assert all(not d.addressees for d in may_day.demands if d.solidarity)
    tikhonov = may_day.demands[1]
    assert {t.key for t in tikhonov.addressees} >= {"almaty-court-tikhonov"}
    court_demands = [
        d for d in may_day.demands if any(t.key == "almaty-court-tikhonov" for t in d.addressees)
    ]
    assert court_demands == [tikhonov], "the court is asked only about Tikhonov's trial"
    # Their sources make no demands of officials: neither do the seeds.
    assert shanyrak.demands == []
    assert taraz.demands == []


async def test_appeals_carry_dates_demands_and_events(seeded: MigratedDatabase) -> None:
    async with seeded.sessions() as session:
        may_day = await get_appeal_by_slug(session, "2011-05-02-may-day-attack")
        taraz = await get_appeal_by_slug(session, "2010-03-taraz-arrests")
        listed = await list_appeals(session)
    assert may_day is not None
    assert taraz is not None
    assert len(may_day.demands) == 8
    assert may_day.demands[1].text == "Drop the charges against Dmitry Tikhonov."
    trial = [event for event in may_day.events if "Trial" in event.label]
    assert [event.on_date.isoformat() for event in trial] == ["2011-05-02"]
    assert {case.slug for case in may_day.cases} == {
        "may-day-2011-almaty",
        "ainur-kurmanov",
        "dmitry-tikhonov",
        "vadim-kuramshin",
    }
    assert [event.on_date.isoformat() for event in taraz.events] == ["2010-03-07"]
    assert taraz.issued_precision.value == "day"
    assert listed[0].slug == "2012-01-new-wave-of-arrests"


def test_no_web_page_boilerplate_in_the_seeds() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in SEED_DIR.glob("*.yaml"))
    for boilerplate in ("Paypal", "Patreon", "Leave a Reply", "Donate", "Be the first to comment"):
        assert boilerplate.lower() not in text.lower()


# ---- malformed seeds are refused whole ----------------------------------------------------


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    source = SEED_DIR / "2011-05-02-may-day-attack.yaml"
    content = source.read_text(encoding="utf-8")
    assert old in content
    path = tmp_path / "broken.yaml"
    path.write_text(content.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        (
            "emails: [delta@police.kz]",
            "emails: [delta@@police]",
            "targets[2].emails[0]",
            "not a valid email",
        ),
        ("issued_on: 2011-05-02", "issued_on: 2011-13-45", "appeal.issued_on", "valid date"),
        ('  title: "Almaty:', '  titel: "Almaty:', "appeal.title", "Field required"),
        ("    - date: 2011-05-02\n", "    - date: 2 May\n", "appeal.events[3].date", "valid date"),
        (
            'faxes: ["++7727 2715802"]',
            'faxes: ["fax me"]',
            "targets[0].faxes[0]",
            "not a phone number",
        ),
    ],
)
async def test_a_malformed_seed_is_refused_whole(
    sqlite_db: MigratedDatabase, tmp_path: Path, old: str, new: str, field: str, reason: str
) -> None:
    path = broken_copy(tmp_path, old, new)
    report = await load_seed_files(sqlite_db.database, [path])
    assert report.loaded == []
    [error] = report.refused
    assert error.path == str(path)
    assert any(f == field and reason in r for f, r in error.problems), error.problems
    assert str(path) in str(error)
    async with sqlite_db.sessions() as session:
        assert all(count == 0 for count in (await table_counts(session)).values())


async def test_good_files_load_when_another_is_refused(
    sqlite_db: MigratedDatabase, tmp_path: Path
) -> None:
    bad = broken_copy(tmp_path, "urgency: urgent", "urgency: very")
    good = SEED_DIR / "2010-03-taraz-arrests.yaml"
    report = await load_seed_files(sqlite_db.database, [bad, good])
    assert [item.appeal_slug for item in report.loaded] == ["2010-03-taraz-arrests"]
    assert [error.path for error in report.refused] == [str(bad)]
    assert report.refused[0].problems[0][0] == "appeal.urgency"
    async with sqlite_db.sessions() as session:
        assert await get_appeal_by_slug(session, "2011-05-02-may-day-attack") is None
        assert await get_case_by_slug(session, "vadim-kuramshin") is None
