"""The shapes real networks publish appeals in, each in made-up words (no socket opened)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.extract.draft import DraftData, extract_draft
from bot.services.case_index import CaseIndex
from storage.enums import TargetKind

TODAY = date(2026, 12, 2)


def read(text: str, today: date = TODAY) -> DraftData:
    return extract_draft(text, today=today, index=CaseIndex())


def office(data: DraftData, word: str) -> tuple[str, list[str], list[str], list[str]]:
    """Return the one office whose name holds a word: its name, emails, phones and faxes."""
    [found] = [t for t in data.targets if word.lower() in t.name.lower()]
    return found.name, found.emails, found.phones, found.faxes


ADDRESS_BLOCK = """Trade unionist jailed in Kestria

Mira Voss, who led the dock strike in Port Halden, was sentenced to two years on 3 November 2026.

Please write to:

Mr Alaric Dunmore
Minister of Justice
12 Harbour Road
KS-4410 Halden
Kestria
Fax: +44 20 7946 0018
Salutation: Dear Minister

Ms Ines Varga
Prosecutor General
3 Court Square
Halden
Fax: +44 20 7946 0019
Salutation: Dear Prosecutor General
"""


def test_an_address_block_is_one_office_with_its_street_and_salutation() -> None:
    data = read(ADDRESS_BLOCK)
    minister = next(t for t in data.targets if "Dunmore" in t.name)
    assert minister.name == "Mr Alaric Dunmore, Minister of Justice"
    assert minister.postal_address == "12 Harbour Road, KS-4410 Halden, Kestria"
    assert minister.faxes == ["+442079460018"]
    assert minister.salutation == "Dear Minister"
    prosecutor = next(t for t in data.targets if "Varga" in t.name)
    assert prosecutor.salutation == "Dear Prosecutor General"
    assert len(data.targets) == 2, "the street and country lines are not offices"


def test_a_german_block_reads_its_anrede() -> None:
    data = read(
        "Gewerkschafter in Haft\n\nDer Gewerkschafter Piet Olsen wurde am 4. Mai 2026 "
        "festgenommen, weil er einen Streik angeführt hatte.\n\nBitte schreiben Sie an:\n\n"
        "Justizministerin Frau Dr. Elin Ruud\nJustizministerium\nKongens gate 8\n0153 Oslo\n"
        "Telefax: +47 22 24 90 00\nE-Mail: postmottak@jd.example.no\nAnrede: Sehr geehrte Frau "
        "Ministerin\n"
    )
    [target] = data.targets
    assert target.name.startswith("Justizministerin Frau Dr. Elin Ruud")
    assert (target.faxes, target.emails) == (["+4722249000"], ["postmottak@jd.example.no"])
    assert target.salutation == "Sehr geehrte Frau Ministerin"
    assert data.language == "de"


@pytest.mark.parametrize(
    ("line", "region_text", "faxes", "phones"),
    [
        # Two labels on one line, the trunk zero printed, in the office's own country.
        ("Tel: 0207 946 0123  Fax: 0207 946 0124", "London", ["+442079460124"], ["+442079460123"]),
        # A capital I between the numbers, as a page flattened a pipe.
        (
            "Phone: 202 456 1414 I Fax: 202 456 2461",
            "Washington DC 20500",
            ["+12024562461"],
            ["+12024561414"],
        ),
        # A doubled plus, and an unlabelled number before "Fax:" (the phone).
        ("++7 7172 74 55 24, Fax: ++7 7172 74 55 25", "Astana", ["+77172745525"], ["+77172745524"]),
        # 00 and the country code, and a French number with its trunk zero in brackets.
        (
            "Tél. : 00 33 (0)1 45 20 41 91 – Télécopie : 01 45 20 41 92",
            "75007 Paris\nFrance",
            ["+33145204192"],
            ["+33145204191"],
        ),
    ],
)
def test_numbers_are_read_as_printed_with_the_label_the_text_gives(
    line: str, region_text: str, faxes: list[str], phones: list[str]
) -> None:
    data = read(
        f"Release Jonas Brandt\n\nJonas Brandt was detained on 1 May 2026.\n\nWrite to:\n\n"
        f"The Chief of Police\n1 Station Street\n{region_text}\n{line}\n"
    )
    [target] = data.targets
    assert (target.faxes, target.phones) == (faxes, phones)


def test_a_note_under_a_number_says_what_it_is() -> None:
    data = read(
        "Release Ana Petrov\n\nAna Petrov was detained on 2 April 2026 in Moscow, Russia.\n\n"
        "The numbers are:\n\nRegional Prosecutor's Office: +7 495 623 68 69\n"
        "(This is the fax number of the reception, which also takes calls.)\n"
    )
    [target] = data.targets
    assert (target.faxes, target.phones) == (["+74956236869"], [])


def test_a_one_line_embassy_entry_is_one_office_with_all_of_it() -> None:
    data = read(
        "Free the Norvale Three\n\nThree students were arrested in Norvale on 2 June 2026.\n\n"
        "Copies to:\nHIS EXCELLENCY Tomas Reyk, Embassy of Norvale, 22 Palace Street, London SW1A "
        "1AA, Tel: 020 7946 0200, Fax: 020 7946 0201, embassy@norvale.example.org\n"
    )
    [embassy] = data.targets
    assert "Embassy of Norvale" in embassy.name
    assert embassy.kind is TargetKind.EMBASSY
    assert (embassy.phones, embassy.faxes, embassy.emails) == (
        ["+442079460200"],
        ["+442079460201"],
        ["embassy@norvale.example.org"],
    )


def test_emails_as_published_masked_glued_and_hidden() -> None:
    data = read(
        "Free Lena Ost\n\nLena Ost was detained on 2 May 2026.\n\nWrite to:\n\nThe Governor\n"
        "Email: governor [at] region [dot] example [dot] org\n\nThe Mayor\n"
        "Email: mayor@city.example.orgpress@city.example.org\n\nThe Court\n"
        "Email: [email protected]\n"
    )
    assert office(data, "Governor")[1] == ["governor@region.example.org"]
    assert office(data, "Mayor")[1] == ["mayor@city.example.org", "press@city.example.org"]
    [court] = [t for t in data.targets if t.name == "The Court"]
    assert court.emails == [], "a hidden address is never made up"
    assert "hidden" in (court.note or "")


@pytest.mark.parametrize(
    ("sentence", "deadline"),
    [
        ("PLEASE SEND APPEALS BEFORE 27 SEPTEMBER 2026.", date(2026, 9, 27)),
        ("This Urgent Action expires on 15 October 2026.", date(2026, 10, 15)),
        ("Пишите до 15 мая 2026 года.", date(2026, 5, 15)),
        ("Please act by 3 November 2026.", date(2026, 11, 3)),
        ("Bitte schreiben Sie bis zum 12. Juni 2026.", date(2026, 6, 12)),
    ],
)
def test_deadlines_in_the_forms_networks_write_them(sentence: str, deadline: date) -> None:
    data = read(f"Release Ana Petrov\n\nAna Petrov was detained on 2 April 2026.\n\n{sentence}\n")
    assert data.deadline == deadline


def test_a_date_without_a_year_takes_it_from_the_text_or_stays_unknown() -> None:
    dated = read(
        "Release Ana Petrov\n\nTallinn, 3 March 2026. Ana Petrov was arrested on 28 February."
    )
    assert [event.on for event in dated.events] == [date(2026, 2, 28)]
    undated = read("Release Ana Petrov\n\nAna Petrov was arrested on 28 February.")
    assert undated.events == [], "never today's year"
    assert undated.issued_on is None
    assert undated.blockers(), "the draft asks for the appeal's date"
    undated.date_it(date(2025, 3, 4))  # a feed item's date, or the admin's word
    assert [event.on for event in undated.events] == [date(2025, 2, 28)]


def test_the_case_is_the_person_in_the_nominative_not_the_official() -> None:
    data = read(
        "Поддержите Ольгу Смирнову\n\nАктивистку Ольгу Смирнову задержали 3 апреля 2026 года в "
        "Новосибирске после пикета.\n\nПишите прокурору области Ивану Петрову: "
        "prokuror@example.ru\n"
    )
    assert [case.name for case in data.cases] == ["Ольга Смирнова"]


def test_a_group_is_the_case_when_no_one_person_stands_out() -> None:
    data = read(
        "Solidarity with the dockers\n\nOn 4 May 2026, 14 dockers were charged after a strike "
        "at the port.\n\nWrite to the Port Authority: port@example.org\n"
    )
    assert [case.name for case in data.cases] == ["14 dockers"]


def test_the_country_is_where_the_case_is_not_the_publisher() -> None:
    data = read(
        "Australian unionists stand with Iranian bus drivers\n\nMelbourne, 2 May 2026. The "
        "Australian union council calls for the release of Reza Karimi, a bus drivers' leader "
        "jailed in Iran for organising a strike in Tehran. Iran's courts sentenced him on 30 "
        "April.\n\nWrite to the Iranian embassy in your country.\n"
    )
    assert data.country == "IR"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Liberate subito Marco Rossi, arrestato ieri durante lo sciopero dei portuali.", "it"),
        ("Libérez immédiatement Claire Martin, arrêtée hier pendant la grève des cheminots.", "fr"),
        ("Liberen de inmediato a Lucía Gómez, detenida ayer durante la huelga minera.", "es"),
        ("Uwolnijcie natychmiast Jana Nowaka, zatrzymanego wczoraj podczas strajku.", "pl"),
        ("Grevi örgütleyen sendikacı Ahmet Yılmaz dün gözaltına alındı, serbest bırakılsın.", "tr"),
        ("Звільніть активістку Олену Коваль, яку затримали вчора під час протесту.", "uk"),
    ],
)
def test_the_texts_language_is_read(text: str, language: str) -> None:
    assert read(f"{text}\n\n{text}").language == language


def test_page_chrome_is_not_the_title_the_date_or_the_case() -> None:
    data = read(
        "This site uses cookies. Accept | Reject\nMenu\n\nFree the Halden dockers\n\n"
        "Fourteen dockers were charged on 4 May 2026 after a strike.\n\n"
        "Write to the Port Authority: port@example.org\n\nArchives\nApril 2026\nMarch 2026\n"
        "February 2026\n"
    )
    assert data.title == "Free the Halden dockers"
    assert data.issued_on is None, "an archive's month list is not the appeal's date"
    assert all("cookie" not in case.name.lower() for case in data.cases)


def test_demands_are_the_texts_own_list_one_each() -> None:
    data = read(
        "Journalists held in Norvale\n\nSix journalists of the Norvale Courier were detained on 2 "
        "June 2026. We wrote to the president, urging him to:\n\n• release the six journalists;\n"
        "• drop all charges against them;\n• allow the Courier to publish.\n\nThe Courier has "
        "reported on corruption for ten years.\n"
    )
    assert [demand.text for demand in data.demands] == [
        "Release the six journalists",
        "Drop all charges against them",
        "Allow the Courier to publish.",
    ]


def test_a_text_that_opens_with_its_story_gets_a_proposed_title_and_says_so() -> None:
    lead = (
        "On 2 June 2026 police in Port Halden detained Mira Voss, a dock workers' leader, "
        "after a strike that closed the harbour for three days; her family has not been told "
        "where she is held and her lawyer was turned away at the police station twice."
    )
    data = read(f"{lead}\n\nWrite to the Chief of Police: police@halden.example.org\n")
    assert data.title_proposed
    assert data.title == "Mira Voss"
    assert any("title is proposed" in warning for warning in data.warnings())


def test_no_office_name_is_half_filled() -> None:
    data = read(
        "Release Ana Petrov\n\nAna Petrov was detained on 2 April 2026.\n\n"
        "Please also contact the embassy in your country.\n"
    )
    assert all("of the in" not in target.name for target in data.targets)
    assert all(target.name.strip() for target in data.targets)


def test_a_contact_no_office_took_is_listed_in_the_review() -> None:
    data = read(
        "Release Ana Petrov\n\nAna Petrov was detained on 2 April 2026.\n\nWrite to:\n\n"
        "Fax: +231 77 000 1234\n"
    )
    assert data.unplaced == ["fax +231770001234"]
    assert any(w.startswith("Not placed: fax +231770001234") for w in data.warnings())


def test_control_characters_pasted_or_fed_are_not_kept() -> None:
    data = read(
        "Release\x0b Ana Petrov\x1b[0m\n\nAna Petrov was detained on 2 April 2026.\n\n"
        "Write to the Chief of Police: police@example.org\x07\n"
    )
    fields = data.model_dump_json()
    assert not any(f"\\u00{code:02x}" in fields for code in (7, 0x0B, 0x1B))
    assert data.title == "Release Ana Petrov", "a terminal's colour codes go with their escape"
