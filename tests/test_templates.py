"""Telegram HTML helpers: long replies split between paragraphs, never inside a tag."""

from __future__ import annotations

from datetime import date

from bot.presentation.labels import format_date
from emulator.telegram_html import parse_html
from storage.enums import DatePrecision
from templates import Templates
from templates.telegram_html import split_message, visible_length


def test_long_text_is_cut_between_paragraphs() -> None:
    paragraphs = [f"<b>Part {n}</b> " + "word " * 150 for n in range(20)]
    parts = split_message("\n\n".join(paragraphs))
    assert len(parts) > 1
    for part in parts:
        text, _ = parse_html(part)
        assert len(text) <= 4096
        assert part.startswith("<b>Part ")
        assert part.rstrip().endswith("word")


def test_a_cut_inside_a_tag_closes_and_reopens_it() -> None:
    parts = split_message("<pre>" + "line\n" * 2000 + "</pre>", limit=1000)
    assert len(parts) >= 10
    for part in parts:
        assert part.startswith("<pre>")
        assert part.endswith("</pre>")
        parse_html(part)


def test_entities_count_as_one_character() -> None:
    assert visible_length("&lt;b&gt; &amp; <i>x</i>") == len("<b> & x")


def test_dates_follow_their_precision() -> None:
    day = date(2011, 5, 2)
    assert format_date(day, DatePrecision.DAY) == "2 May 2011"
    assert format_date(day, DatePrecision.MONTH) == "May 2011"
    assert format_date(day, DatePrecision.YEAR) == "2011"
    assert format_date(None) == "undated"


def test_letters_fall_back_to_english() -> None:
    text = Templates().letter(
        "protest",
        language="xx",
        salutation="Your Honour,",
        about="the case of X",
        facts="Something happened.",
        demands=["Free X.", "Drop the charges."],
        only=None,
    )
    assert text.startswith("Your Honour,")
    assert "the case of X" in text
    assert "2. Drop the charges." in text
