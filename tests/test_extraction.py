"""The extractor reads our retellings of the five source appeals as the seeds record them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.extraction import evaluate
from bot.extract.clean import clean_lines
from bot.extract.contacts import find_numbers
from bot.extract.dates import events_and_deadline
from bot.extract.draft import DraftData, TargetData, extract_draft
from bot.presentation.render import Presenter
from bot.presentation.views import draft_card
from bot.services.case_index import CaseIndex
from core.errors import ExtractionError
from emulator.telegram_html import check_text
from storage.enums import AppealKind, DatePrecision, TargetKind
from storage.names import search_key
from storage.seed_schema import SeedFile, SeedTarget
from storage.seeding import default_seed_dir, read_seed_file
from tests.support.bot import sessions_for

FIXTURES = Path(__file__).parent / "fixtures" / "appeals"
TODAY = date(2026, 11, 22)
SLUGS = sorted(path.stem for path in FIXTURES.glob("*.txt"))


@pytest.fixture(scope="module")
def seeds() -> dict[str, SeedFile]:
    return {slug: read_seed_file(default_seed_dir() / f"{slug}.yaml") for slug in SLUGS}


@pytest.fixture
async def index(seeded_url: str) -> CaseIndex:
    built = CaseIndex()
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        await built.refresh(session)
    return built


async def case_slugs(seeded_url: str, data: DraftData) -> set[str]:
    from storage.repo.cases import get_cases

    async with sessions_for(seeded_url) as sessions, sessions() as session:
        cases = await get_cases(session, [ref.id for ref in data.cases if ref.id is not None])
    return {case.slug for case in cases}


def contacts(
    targets: Sequence[TargetData | SeedTarget], attribute: str, kind: TargetKind | None = None
) -> set[str]:
    found: set[str] = set()
    for target in targets:
        if kind is not None and target.kind is not kind:
            continue
        value = getattr(target, attribute)
        found |= set(value) if isinstance(value, list) else ({value} if value else set())
    return found


def read(slug: str, index: CaseIndex) -> DraftData:
    return extract_draft((FIXTURES / f"{slug}.txt").read_text("utf-8"), today=TODAY, index=index)


@pytest.mark.parametrize("slug", SLUGS)
async def test_contacts_match_the_seed(
    slug: str, seeds: dict[str, SeedFile], index: CaseIndex
) -> None:
    seed, draft = seeds[slug], read(slug, index)
    for attribute in ("emails", "phones", "faxes", "postal_address"):
        assert contacts(draft.targets, attribute) == contacts(seed.targets, attribute), attribute
    assert contacts(draft.targets, "emails", TargetKind.COPY_TO) == contacts(
        seed.targets, "emails", TargetKind.COPY_TO
    )
    has_embassy = any(target.kind is TargetKind.EMBASSY for target in seed.targets)
    assert any(target.kind is TargetKind.EMBASSY for target in draft.targets) == has_embassy
    assert all(
        "Kazakhstan" in target.name for target in draft.targets if target.kind is TargetKind.EMBASSY
    )


@pytest.mark.parametrize("slug", SLUGS)
async def test_dates_and_cases_match_the_seed(
    slug: str, seeds: dict[str, SeedFile], index: CaseIndex, seeded_url: str
) -> None:
    seed, draft = seeds[slug], read(slug, index)
    if slug == "2007-04-20-kurmanov-shanyrak":
        # It says only "today" and "last night", and carries no date of its own: the seed
        # dates those from the appeal's publication, which the text does not give.
        assert draft.events == []
        assert draft.year_unknown
    else:
        seed_days = sorted({event.on_date for event in seed.appeal.events})
        assert [event.on for event in draft.events] == seed_days
        assert all(event.year_known for event in draft.events)
    assert draft.deadline == seed.appeal.deadline
    assert await case_slugs(seeded_url, draft) == {case.slug for case in seed.cases}
    assert draft.urgency == seed.appeal.urgency
    assert draft.country == "KZ"


# The seeds' demands are in our own words; the appeals give them as a numbered list (the May
# Day appeal), as sentences that demand, or not at all (the Shanyrak appeal).
NAMED_IN_DEMANDS = {
    "2010-03-taraz-arrests": ["tikhonv"],
    "2011-05-20-socialist-action-statement": ["tikhonov", "kurmanov"],
    "2012-01-new-wave-of-arrests": ["karamshin"],
}


@pytest.mark.parametrize("slug", SLUGS)
async def test_demands_match_the_seed(
    slug: str, seeds: dict[str, SeedFile], index: CaseIndex
) -> None:
    seed, draft = seeds[slug], read(slug, index)
    if slug == "2011-05-02-may-day-attack":
        assert len(draft.demands) == len(seed.appeal.demands) == 8
        for extracted, recorded in zip(draft.demands, seed.appeal.demands, strict=True):
            words = set(search_key(extracted.text).split()) & set(search_key(recorded.text).split())
            assert words - {"the", "of", "and", "to", "a", "an", "against"}, (extracted, recorded)
            assert extracted.solidarity == recorded.solidarity, extracted
    elif slug == "2007-04-20-kurmanov-shanyrak":
        assert draft.demands == []
    else:
        text = search_key(" ".join(demand.text for demand in draft.demands))
        for name in NAMED_IN_DEMANDS[slug]:
            assert name in text, (name, draft.demands)


def test_boilerplate_is_dropped(index: CaseIndex) -> None:
    for slug in SLUGS:
        text = read(slug, index).text.lower()
        for junk in ("paypal", "patreon", "leave a reply", "be the first", "related articles"):
            assert junk not in text, (slug, junk)
        assert "editor@example.org" not in text
        assert "| 3 | 4 |" not in text


def test_numbers_are_told_apart_by_the_words_before_them() -> None:
    numbers = find_numbers(
        "can be faxed to the court on the number ++7727 2715802 or phoned on ++7727 2715807/ "
        "Tel: ++7 (7172) 74 55 24; fax 8 (727) 271 58 99"
    )
    assert [(n.e164, n.kind.value) for n in numbers] == [
        ("+77272715802", "fax"),
        ("+77272715807", "phone"),
        ("+77172745524", "phone"),
        ("+77272715899", "fax"),
    ]


def test_an_office_named_in_a_sentence_keeps_its_name_and_a_label_before_a_break_its_kind(
    index: CaseIndex,
) -> None:
    # A feed's paragraph, broken where the label ends its line.
    data = extract_draft(
        "Release miners' leader Aibek Serikov\n\nKaraganda, 4 May 2026. Aibek Serikov was "
        "detained on 3 May.\n\nWrite to the Karaganda Regional Prosecutor: email "
        "prokuror@karaganda.example.kz, fax\n+7 7212 40 00 00, tel.\n+7 7212 40 00 01.\n\n"
        "We demand:\n\n1. Release Aibek Serikov.",
        today=date(2026, 5, 6),
        index=index,
    )
    [target] = data.targets
    assert target.name == "Karaganda Regional Prosecutor"
    assert (target.faxes, target.phones) == (["+77212400000"], ["+77212400001"])


def test_years_are_read_against_the_posting_date() -> None:
    text = "Strikers were shot on 16 December. Arrests followed on 23 January. Trial on 2 March."
    events, deadline = events_and_deadline(text, today=date(2012, 1, 25))
    assert [e.on for e in events] == [date(2011, 12, 16), date(2012, 1, 23), date(2012, 3, 2)]
    assert deadline is None
    _, deadline = events_and_deadline("Send protests by 5 February.", today=date(2012, 1, 25))
    assert deadline is not None
    assert deadline.on == date(2012, 2, 5)


def test_calendar_rows_and_datelines_are_not_text() -> None:
    lines, dateline = clean_lines(
        "Title\n\nBody text here.\nM | T | W |\n2 | 3 | 4 |\n30 |\nMay 2011"
    )
    assert lines == ["Title", "", "Body text here."]
    assert dateline == "May 2011"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "could not find an appeal"),
        ("   \n\n  ", "could not find an appeal"),
        ("!!! ??? 123 456 --- ***", "could not find an appeal"),
        ("x" * 40_000, "at most 30,000"),
    ],
)
def test_texts_that_are_not_appeals_are_refused(text: str, reason: str, index: CaseIndex) -> None:
    with pytest.raises(ExtractionError, match=reason):
        extract_draft(text, today=TODAY, index=index)


def test_a_text_without_contacts_says_so(index: CaseIndex) -> None:
    draft = extract_draft(
        "Free the strikers of Zhanaozen\n\nOn 16 December police fired on striking oil "
        "workers in Zhanaozen. Dozens were arrested and many are still held without charge."
        "\n\nJanuary 2012",
        today=date(2026, 11, 22),
        index=index,
    )
    assert draft.targets == []
    assert any("No contacts found" in warning for warning in draft.warnings())
    assert draft.place == "Zhanaozen"
    assert [event.on for event in draft.events] == [date(2011, 12, 16)]


PIECES = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.sampled_from(
        [
            "\n",
            "\n\n",
            "1: Press office ",
            "2. Release him ",
            "Email: x@y.kz ",
            "Tel: ++7 (7172) 74 55 24 ",
            "fax ++7727 2715802 ",
            "on 7 March ",
            "May Day ",
            "31 February ",
            "Please send protests to",
            "copies to a@b.org",
            "Embassy of Kazakhstan",
            "<b>",
            "&amp;",
            "010000, Almaty, ul Seifullina 73",
            "M | T | W |",
            "Donate via Paypal",
        ]
    ),
)


@given(text=st.lists(PIECES, max_size=60).map("".join))
def test_any_text_gives_a_draft_or_a_clear_refusal(text: str, index: CaseIndex) -> None:
    try:
        draft = extract_draft(text, today=TODAY, index=index)
    except ExtractionError as refusal:
        refused = str(refusal)
    else:
        refused = ""
    if refused:
        assert "appeal" in refused
        return
    assert draft.title
    assert len(draft.title) <= 201
    presenter = Presenter()
    age = presenter.draft_age(draft, AppealKind.APPEAL)
    rendered = presenter.broadcast(draft_card(draft, kind=AppealKind.APPEAL, age=age))
    plain, _ = check_text(rendered.text, parse_mode="HTML")
    assert plain
    for part in Presenter().telegram(
        "draft_review", data=draft, is_update=False, warnings=draft.warnings()
    ):
        check_text(part, parse_mode="HTML")


STATEMENT = """Solidarity with the May Day protesters

This May Day, activists who joined the official march in Almaty with red flags were attacked
by police. Ainur Kurmanov was taken to hospital. We condemn this attack on 1 May and the trial
of Dmitry Tikhonov on 2 May.

Please send protests to the Foreign Ministry, Email: mid@mid.kz
"""


def test_a_statement_without_a_dateline_gets_no_year_from_today(index: CaseIndex) -> None:
    draft = extract_draft(STATEMENT, today=TODAY, index=index)
    assert draft.issued_on is None
    assert draft.year_unknown
    assert draft.events == [], "no day is given a year the text does not say"
    assert len(draft.undated) == 2, "the days are read, and held until the year is known"
    assert draft.blockers()
    assert "year" in draft.blockers()[0]
    # The admin says when it is from: the days take their year from that.
    draft.date_it(date(2011, 5, 3))
    assert draft.blockers() == []
    assert [event.on for event in draft.events] == [date(2011, 5, 1), date(2011, 5, 2)]
    # With a dateline, the page's own date settles it.
    dated = extract_draft(STATEMENT + "\nMay 2011\n", today=TODAY, index=index)
    assert not dated.year_unknown
    assert dated.issued_on == date(2011, 5, 1)
    assert {event.on.year for event in dated.events} == {2011}


PAGE_WITH_COMMENTS = """Kazakhstan: release the strikers

On 16 December 2011 police fired on striking oil workers. Please send protests to the
Procurator General, Email: office@prokuror.example.kz

3 comments

Jane Doe says:
December 20, 2011 at 10:02 am
Shameful. Write to me at jane.doe@example.org, tel +44 20 7946 0958, and I will pass it on.

Leave a Reply
Your email address will not be published.

About the author
Contact the editor: editor@example.org

December 2011
"""


def test_addresses_in_comments_author_boxes_and_footers_are_not_contacts(
    index: CaseIndex,
) -> None:
    draft = extract_draft(PAGE_WITH_COMMENTS, today=TODAY, index=index)
    emails = {email for target in draft.targets for email in target.emails}
    assert emails == {"office@prokuror.example.kz"}
    assert not any(target.phones for target in draft.targets)
    assert "jane" not in draft.text.lower()
    assert draft.issued_on == date(2011, 12, 1), "the page's dateline below the comments"
    [procurator] = draft.targets
    assert procurator.salutation is None, "the text gives no salutation: none is made up"


MIXED_DEMANDS = """Free the Almaty activists

Police arrested three activists on 23 January 2012. We demand:
1. Release the three activists at once;
2. Drop all charges against them;
3. For the nationalisation of the banks under workers' control;
4. Full support for the new workers' party!

Send protests to the Foreign Ministry, Email: mid@mid.kz
January 2012
"""


def test_solidarity_points_are_told_apart_from_demands(index: CaseIndex) -> None:
    draft = extract_draft(MIXED_DEMANDS, today=TODAY, index=index)
    assert [(d.text[:20], d.solidarity) for d in draft.demands] == [
        ("Release the three ac", False),
        ("Drop all charges aga", False),
        ("For the nationalisat", True),
        ("Full support for the", True),
    ]
    assert any("solidarity" in warning for warning in draft.warnings())
    age = Presenter().draft_age(draft, AppealKind.APPEAL)
    card = draft_card(draft, kind=AppealKind.APPEAL, age=age)
    assert len(card.demands) == 2
    assert len(card.solidarity) == 2


def test_the_pasted_summary_is_marked_to_be_rewritten(index: CaseIndex) -> None:
    draft = extract_draft(MIXED_DEMANDS, today=TODAY, index=index)
    assert draft.summary_pasted
    assert any("pasted text" in warning for warning in draft.warnings())


def test_a_full_date_on_a_line_of_its_own_is_the_appeals_date(index: CaseIndex) -> None:
    text = (
        "Kazakhstan: oil workers' leader arrested\n\n"
        "On 3 March police arrested the leader of the striking oil workers in Zhanaozen; she "
        "faces charges of inciting social discord.\n"
        "Please send protests to the Prosecutor General, Email: gp@prokuror.example.kz\n"
        "4 March 2027\n"
    )
    draft = extract_draft(text, today=date(2026, 12, 1), index=index)
    assert (draft.issued_on, draft.issued_precision) == (date(2027, 3, 4), DatePrecision.DAY)
    assert not draft.year_unknown
    assert [event.on for event in draft.events] == [date(2027, 3, 3)]
    for line in ("May 20, 2011", "20 May 2011", "May 2011"):
        assert extract_draft(f"{text}\n{line}\n", today=date(2026, 12, 1), index=index).issued_on


DATELINED = {
    "aktau": (
        "URGENT: Release trade unionist Marat Zhaksybekov!\n\n"
        "Aktau, 3 March 2026. Marat Zhaksybekov, a leader of the independent oil workers' "
        "union, was detained by police on the evening of 2 March after a meeting with striking "
        "workers.\n\n"
        "Write to the Procurator of Mangystau Region, email: prokuratura@mangystau.example.kz, "
        "demanding:\n1. The immediate release of Marat Zhaksybekov.\n"
    ),
    "shymkent": (
        "СРОЧНО: Остановите преследование журналистки Айгерим Нурлановой\n\n"
        "Шымкент, 15 сентября 2026 г. Журналистка Айгерим Нурланова задержана 14 сентября после "
        "публикации расследования о коррупции в акимате. Суд назначен на 18 сентября.\n\n"
        "Пишите прокурору области: prokuror@turkestan.example.kz.\nТребуем:\n"
        "1. Немедленно освободить Айгерим Нурланову.\n"
    ),
    "dash": (
        "Free the Oral six\n\n3 March 2026 — Police in Oral detained six members of a housing "
        "campaign on 1 March, among them Serik Abenov, after a protest at the akimat.\n\n"
        "Write to the Procurator: email oral@prokuratura.example.kz.\n"
    ),
}


@pytest.mark.parametrize(
    ("name", "own", "events", "person", "place"),
    [
        ("aktau", date(2026, 3, 3), [date(2026, 3, 2)], "Marat Zhaksybekov", "Aktau"),
        (
            "shymkent",
            date(2026, 9, 15),
            [date(2026, 9, 14), date(2026, 9, 18)],
            "Айгерим Нурланова",
            "Shymkent",
        ),
        ("dash", date(2026, 3, 3), [date(2026, 3, 1)], "Serik Abenov", "Oral"),
    ],
)
def test_a_dateline_dates_the_appeal_and_gives_partial_dates_their_year(
    name: str, own: date, events: list[date], person: str, place: str
) -> None:
    # Read nine months later: the year of "2 March" comes from the dateline, never from today.
    data = extract_draft(DATELINED[name], today=date(2026, 12, 2), index=CaseIndex())
    assert data.issued_on == own
    assert data.issued_precision is DatePrecision.DAY
    assert [(event.on, event.year_known) for event in data.events] == [(on, True) for on in events]
    assert [case.name for case in data.cases] == [person], "the case is the person, not the title"
    assert data.place == place


def test_without_a_dateline_the_year_stays_unknown_and_a_menu_is_not_a_title() -> None:
    text = (
        "Home | News | Campaigns | About | Contact\n\nSolidarity with the Almaty tenants\n\n"
        "On 12 April, in Almaty, police detained five members of the tenants' committee, among "
        "them Gulnara Sadykova, as they protested outside the city hall.\n\n"
        "Write to the Almaty Procurator: email almaty@prokuratura.example.kz.\n"
    )
    data = extract_draft(text, today=date(2026, 12, 2), index=CaseIndex())
    assert data.title == "Solidarity with the Almaty tenants"
    assert data.issued_on is None, "the draft asks the admin for the appeal's date"
    assert data.events == [], "12 April gets no year from today"
    assert [label[:8] for label in data.undated] == ["12 April"]
    assert [case.name for case in data.cases] == ["Gulnara Sadykova"]


async def test_a_known_person_is_matched_by_any_spelling(index: CaseIndex, seeded_url: str) -> None:
    text = (
        "Solidarity needed\n\nAlmaty, 5 June 2026. Police again detained Dmitri Tikhonov, "
        "a socialist activist, outside the court.\n\nWrite to the Procurator: "
        "email office@prokuratura.example.kz.\n"
    )
    data = extract_draft(text, today=date(2026, 12, 2), index=index)
    assert await case_slugs(seeded_url, data) == {"dmitry-tikhonov"}


# What the evaluation corpus must keep reading right (benchmarks/extraction.py prints it all).
FLOORS = {
    "title": (0.95, 0.95),
    "own_date": (0.95, 0.95),
    "case": (0.9, 0.9),
    "place": (0.95, 0.95),
    "deadline": (0.95, 0.95),
    "events": (0.95, 0.95),
    "targets": (0.95, 0.95),
    "addresses": (0.95, 0.95),
    "emails": (0.95, 0.95),
    "phones": (0.95, 0.95),
    "faxes": (0.95, 0.95),
    "copies": (0.95, 0.95),
    "demands": (0.95, 0.95),
}


def test_the_evaluation_corpus_is_read_above_its_floors() -> None:
    result = evaluate()
    assert result["appeals"] >= 20
    low = {
        name: scores
        for name, scores in result["fields"].items()
        if (scores["precision"] or 0) < FLOORS[name][0] or (scores["recall"] or 0) < FLOORS[name][1]
    }
    assert not low, (low, result["misses"])
