"""Whatever the data and whatever people type, replies are valid Telegram HTML within limits."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import Audience
from bot.handlers.table import COMMANDS as TABLE
from bot.presentation.render import Presenter
from bot.presentation.views import appeal_card, case_page, contact_groups
from bot.services.appeals import Aged
from bot.services.cases import CaseSummary
from emulator.telegram_html import MAX_TEXT_LENGTH, check_text, parse_html
from storage.enums import (
    AppealKind,
    AppealStatus,
    CaseStatus,
    DatePrecision,
    EventKind,
    TargetKind,
    Urgency,
)
from storage.records import (
    AppealRecord,
    AppealTargetRecord,
    CaseNameRecord,
    CaseRecord,
    DemandRecord,
    EventRecord,
    TargetRecord,
)
from storage.repo.appeals import CaseEvent
from storage.standing import Age, Standing
from templates.telegram_html import split_message
from tests.support.background import BackgroundBot

PRESENTER = Presenter()
TRICKY = st.sampled_from(
    ["<", ">", "&", '"', "'", "&amp;", "<b>", "</i>", "😀", "👩‍👩‍👧", "\n", "  "]
)
TEXT = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=["Cs"]), max_size=12), TRICKY),
    min_size=1,
    max_size=30,
).map("".join)
NAME = TEXT.filter(lambda text: text.strip()).map(lambda text: text[:200])
LONG = st.one_of(TEXT, st.builds(lambda text, n: (text + " ") * n, TEXT, st.integers(1, 400)))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def visible(parts: list[str]) -> str:
    texts = []
    for part in parts:
        text, _ = check_text(part, parse_mode="HTML")
        assert len(text) <= MAX_TEXT_LENGTH
        texts.append(text)
    return "".join(texts)


@st.composite
def appeals(draw: st.DrawFn) -> AppealRecord:
    cases = [
        CaseRecord(
            id=n,
            slug=f"case-{n}",
            name=draw(NAME),
            country="KZ",
            place=draw(st.none() | NAME),
            status=draw(st.sampled_from(CaseStatus)),
            summary=draw(st.none() | LONG),
            outcome=draw(st.none() | TEXT),
            names=(CaseNameRecord(name=draw(NAME)),),
        )
        for n in range(1, draw(st.integers(1, 3)) + 1)
    ]
    targets = [
        AppealTargetRecord(
            target_id=n,
            kind=draw(st.sampled_from(TargetKind)),
            position=n,
            note=draw(st.none() | TEXT),
            target=TargetRecord(
                id=n,
                key=f"t{n}",
                name=draw(NAME),
                role=draw(st.none() | TEXT),
                organisation=draw(st.none() | TEXT),
                emails=draw(st.sampled_from([(), ("press@knb.kz",)])),
                faxes=draw(st.sampled_from([(), ("+77272715802",)])),
                phones=draw(st.sampled_from([(), ("+77172745524",)])),
                postal_address=draw(st.none() | TEXT),
                salutation=draw(st.none() | TEXT),
                notes=draw(st.none() | TEXT),
            ),
        )
        for n in range(draw(st.integers(0, 4)))
    ]
    return AppealRecord(
        id=draw(st.integers(1, 10**6)),
        slug="a",
        title=draw(NAME),
        summary=draw(LONG),
        kind=draw(st.sampled_from(AppealKind)),
        urgency=draw(st.sampled_from(Urgency)),
        status=AppealStatus.PUBLISHED,
        language="en",
        issued_on=date(2011, 5, 2),
        issued_precision=draw(st.sampled_from(DatePrecision)),
        deadline=draw(st.none() | st.just(date(2011, 5, 9))),
        source_name=draw(st.none() | TEXT),
        source_url=draw(st.none() | st.just("https://example.org/a?b=1&c=<2>")),
        created_at=datetime(2011, 5, 2, 9, tzinfo=UTC),
        updated_at=datetime(2011, 5, 3, 9, tzinfo=UTC),
        cases=tuple(cases),
        demands=tuple(
            DemandRecord(position=n, text=draw(TEXT), solidarity=draw(st.booleans()))
            for n in range(1, draw(st.integers(0, 8)))
        ),
        events=(
            EventRecord(
                on_date=date(2011, 5, 1),
                label=draw(NAME),
                precision=draw(st.sampled_from(DatePrecision)),
            ),
        ),
        targets=tuple(targets),
        letter_facts=draw(st.none() | LONG),
    )


AGES = st.builds(
    Age,
    standing=st.sampled_from(Standing),
    issued_on=st.just(date(2011, 5, 2)),
    precision=st.sampled_from(DatePrecision),
    deadline=st.none() | st.just(date(2011, 5, 9)),
    days_left=st.none() | st.integers(0, 30),
    resolved=st.booleans(),
)


@given(appeal=appeals(), protests=st.integers(0, 10**6), age=AGES)
def test_any_appeal_renders_as_valid_telegram_html(
    appeal: AppealRecord, protests: int, age: Age
) -> None:
    card = appeal_card(appeal, age)
    shown = visible(PRESENTER.telegram("appeal", appeal=card, protests=protests))
    assert squash(appeal.title) in squash(shown)
    assert squash(appeal.summary) in squash(shown)
    visible(PRESENTER.telegram("contacts", appeal=card, groups=contact_groups(appeal)))
    focus = appeal.cases[0] if protests % 2 else None
    pack = PRESENTER.letter_pack(appeal, age, focus=focus)
    parts = PRESENTER.telegram("letter", appeal=card, pack=pack)
    shown_letter = visible(parts)
    for item in pack.writable:
        around = len(item.name) + len(item.organisation or "") + sum(map(len, item.notes))
        if item.same_as is None and item.letter and len(item.letter) + around < 3500:
            messages = [squash(check_text(part, parse_mode="HTML")[0]) for part in parts]
            assert sum(squash(item.letter) in text for text in messages) == 1, "never split"
    for item in pack.letters:
        assert squash(item.name) in squash(shown_letter)
        if item.letter and appeal.letter_facts and focus is None:
            assert squash(appeal.letter_facts) in squash(item.letter)
    visible(PRESENTER.telegram("appeals", appeals=[card] * 5, offset=0, total=9))
    visible([PRESENTER.broadcast(card).text])


@given(appeal=appeals(), protests=st.integers(0, 10**6), age=AGES)
def test_any_case_renders_as_valid_telegram_html(
    appeal: AppealRecord, protests: int, age: Age
) -> None:
    case = appeal.cases[0]
    found = CaseSummary(
        case=case,
        appeals=[Aged(appeal, age)],
        events=[CaseEvent(date(2011, 5, 1), DatePrecision.DAY, EventKind.ARREST, "<b>&", 1)],
        protests=protests,
        following=None,
    )
    shown = visible(PRESENTER.telegram("case", case=case_page(found)))
    assert squash(case.name) in squash(shown)
    if case.summary:
        assert squash(case.summary) in squash(shown)


@given(query=TEXT)
def test_any_query_renders_in_every_reply_that_quotes_it(query: str) -> None:
    quoting: list[tuple[str, dict[str, object]]] = [
        ("case_none", {"query": query}),
        ("case_pick", {"query": query, "choices": []}),
        ("case_without_appeal", {"name": query}),
        ("needs_argument", {"command": "letter", "example": query}),
    ]
    for name, values in quoting:
        assert squash(query) in squash(visible(PRESENTER.telegram(name, **values)))


HTML_PIECES = st.lists(
    st.one_of(
        TEXT.map(lambda text: text.replace("&", "&amp;").replace("<", "&lt;")),
        st.sampled_from(["\n\n", "\n", " "]),
        st.sampled_from(["b", "i", "code", "blockquote"]).flatmap(
            lambda tag: TEXT.map(
                lambda text: f"<{tag}>{text.replace('&', '&amp;').replace('<', '&lt;')}</{tag}>"
            )
        ),
    ),
    max_size=400,
).map("".join)


@given(html=HTML_PIECES, limit=st.integers(20, 4096))
def test_splitting_keeps_every_character_and_every_tag_balanced(html: str, limit: int) -> None:
    original, _ = parse_html(html)
    total = ""
    for part in split_message(html, limit=limit):
        text, _ = parse_html(part)
        assert len(text) <= limit
        total += text
    assert squash(total) == squash(original)


# ---- the running bot, whatever people type --------------------------------------------------

COMMANDS = [c.name for c in TABLE if c.audience is not Audience.BOT_ADMINS] + [
    "appeal_4",
    "letter_2",
    "nothing",
]
USER_TEXT = st.one_of(
    TEXT,
    st.builds(lambda name, rest: f"/{name} {rest}", st.sampled_from(COMMANDS), TEXT),
    st.builds(
        lambda rest: f"/start {rest}",
        st.sampled_from(["case_", "appeal_", ""])
        .map(lambda prefix: prefix)
        .flatmap(lambda prefix: TEXT.map(lambda text: prefix + text)),
    ),
).filter(lambda text: text.strip() and len(text) <= 4096)


@pytest.fixture(scope="module")
def background_bot(
    seeded_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackgroundBot]:
    copy = tmp_path_factory.mktemp("background") / "seeded.db"
    shutil.copyfile(seeded_template, copy)
    runner = BackgroundBot(f"sqlite+aiosqlite:///{copy}")
    runner.start()
    yield runner
    runner.stop()


CHATS = itertools.count(900_000)


@given(text=USER_TEXT)
def test_the_bot_always_answers_politely(background_bot: BackgroundBot, text: str) -> None:
    replies = background_bot.converse(next(CHATS), text)
    assert replies, f"no answer to {text!r}"
    for message in replies:
        assert "went wrong" not in message.text
        assert len(message.text) <= MAX_TEXT_LENGTH
    stats = background_bot.emulator.stats
    assert stats["bad_requests"] == 0
    assert stats["http_429"] == 0
