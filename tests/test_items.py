"""What a delivery is about is stored through one codec, and read back as it was stored."""

from __future__ import annotations

from datetime import date

import pytest

from storage.enums import DeliveryPurpose
from storage.items import (
    Confirmation,
    Digest,
    Item,
    Nudge,
    ProgressMessage,
    Publication,
    Reminder,
    Review,
    SourceTrouble,
    Withdrawal,
    load,
    store,
)

EVERY_KIND: list[Item] = [
    Publication(7),
    Withdrawal(7),
    Reminder(7, 31, "eve"),
    Reminder(7, 31, "day", late=True),
    Nudge(7),
    Nudge(7, late=True),
    Digest(None),
    Digest(date(2027, 3, 4)),
    Confirmation(),
    Review(12),
    ProgressMessage(5),
    SourceTrouble(3),
]


@pytest.mark.parametrize("item", EVERY_KIND, ids=repr)
def test_every_kind_reads_back_as_it_was_stored(item: Item) -> None:
    stored = store(item)
    assert stored.purpose is item.purpose
    assert len(stored.notice) <= 40, "it fits the column (part of the row's unique key)"
    assert load(stored.purpose, stored.appeal_id, stored.notice, stored.late) == item


def test_two_items_of_a_kind_are_two_rows_and_lateness_is_not_a_second_one() -> None:
    eve, day = store(Reminder(7, 31, "eve")), store(Reminder(7, 31, "day"))
    assert eve.notice != day.notice
    assert store(Reminder(7, 31, "eve", late=True)).notice == eve.notice
    assert store(Review(1)).notice != store(Review(2)).notice


@pytest.mark.parametrize(
    ("purpose", "appeal_id", "notice"),
    [
        (DeliveryPurpose.REVIEW, None, "not a number"),
        (DeliveryPurpose.PROGRESS, None, ""),
        (DeliveryPurpose.DIGEST, None, "since:yesterday"),
        (DeliveryPurpose.REMINDER, 7, "e31:noon"),
        (DeliveryPurpose.REMINDER, 7, "deadline"),
        (DeliveryPurpose.APPEAL, None, ""),
    ],
)
def test_a_row_this_version_cannot_read_is_no_item(
    purpose: DeliveryPurpose, appeal_id: int | None, notice: str
) -> None:
    assert load(purpose, appeal_id, notice, False) is None
