"""The case index: spellings, alphabets, partial names and typos, without a database."""

from __future__ import annotations

import pytest

from bot.services.case_index import CaseIndex
from storage.names import search_key

NAMES = {
    1: ["Ainur Kurmanov", "Aimur", "Айнур Курманов"],
    2: ["Dmitry Tikhonov", "Dmitri Tikhonv", "Dima"],
    3: ["Vadim Kuramshin", "Vadim Karamshin"],
    4: ["Taraz arrests, March 2010", "Vladimir Lomaev"],
    5: ["January 2012 arrests", "Vladimir Kozlov"],
    6: ["Жанна Баймашева"],
}


@pytest.fixture(scope="module")
def index() -> CaseIndex:
    built = CaseIndex()
    built.load([(case, name, search_key(name)) for case, names in NAMES.items() for name in names])
    return built


@pytest.mark.parametrize(
    ("query", "case"),
    [
        ("Aimur", 1),
        ("курманов", 1),
        ("KURMANOV", 1),
        ("kurm", 1),
        ("Kurmanv", 1),
        ("Тихонов", 2),
        ("Tikhonof", 2),
        ("Дмитрий", 2),
        ("Karamshin", 3),
        ("Курамшин", 3),
        ("Kuramshn", 3),
        ("Lomaev", 4),
        ("Zhanna Baimasheva", 6),
        ("Baimasheva", 6),
    ],
)
def test_one_clear_case(index: CaseIndex, query: str, case: int) -> None:
    result = index.find(query)
    assert result.best is not None, result
    assert result.best.case_id == case


def test_ambiguous_names_give_candidates(index: CaseIndex) -> None:
    result = index.find("Vladimir")
    assert result.best is None
    assert {hit.case_id for hit in result.candidates} == {4, 5}


@pytest.mark.parametrize("query", ["", "   ", "!!!", "qwxz", "a"])
def test_nothing_found(index: CaseIndex, query: str) -> None:
    result = index.find(query)
    assert (result.best, result.candidates) == (None, ())


def test_overlong_queries_are_cut(index: CaseIndex) -> None:
    assert index.find("Kurmanov " * 1000).best is not None
