"""A channel with a format of its own is one module: this one is defined here and nowhere else.

It posts as a Fediverse server shows a post: at most 500 characters, plain text, a link to
the appeal's page, hashtags, follow-ups in the thread of the first post. It renders its own
posts from the views every channel gets; nothing in the service knows it.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update

from bot.app import Overrides
from bot.delivery.channels import Can, Message, Mirror, Outcome, Pace, SendResult, Turn
from bot.presentation.news import AppealNews, View
from bot.services.actors import Actor
from bot.services.outcomes import OutcomeRequest
from core.timing import system_clock
from storage.enums import AppealKind, AppealStatus, CaseStatus, SubscriberState
from storage.items import Item, Publication, Reminder, Withdrawal
from storage.models import Appeal, Subscriber, subscriber_cases
from storage.repo.deliveries import Recipient
from storage.repo.subscribers import new_token
from tests.support.app import app_for
from tests.support.bot import sessions_for
from tests.support.keys import sealed
from tests.support.timeline import MovableClock, add_appeal

ALMATY = ZoneInfo("Asia/Almaty")
LIMIT = 500


def _fit(head: str, body: str, tail: str) -> str:
    """Return head, as much of body as fits, and tail, in at most LIMIT characters."""
    room = LIMIT - len(head) - len(tail) - 4
    if len(body) > room:
        body = body[: max(room - 1, 0)].rsplit(" ", 1)[0] + "…"
    return f"{head}\n\n{body}\n\n{tail}"[:LIMIT]


class Microblog:
    """Short public posts, threaded: the shape of a post on a Fediverse server."""

    name = "microblog"
    renders: frozenset[type[Item]] = frozenset({Publication, Reminder, Withdrawal})
    can = frozenset({Can.THREAD})
    role: str | None = None
    gone = SubscriberState.UNSUBSCRIBED
    pace = Pace(rate=50.0, concurrency=4)

    def __init__(self) -> None:
        self.posts: list[tuple[Recipient, Message]] = []
        self.arrived = asyncio.Event()

    def render(self, view: View, recipient: Recipient) -> Message | None:
        if not isinstance(view, AppealNews):
            return None
        card = view.card
        country = f" #{card.country}" if card.country else ""
        tail = f"{view.url}\n#UrgentAction{country}"
        if view.withdrawn:
            return Message(text=f"Withdrawn: {card.title}\n{view.url}"[:LIMIT])
        if view.event is not None:
            when = "Tomorrow" if view.event.slot == "eve" else "Today"
            head = f"{when}, {view.event.date}: {view.event.label}"
            return Message(text=_fit(head, card.title, tail))
        head = f"{card.kind_label.capitalize()}: {card.title}"
        if card.countdown:
            head += f" ({card.countdown})"
        return Message(text=_fit(head, card.summary, tail))

    async def mirrors(self) -> list[Mirror]:
        return [Mirror(address="@appeals")]

    async def start(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    async def wait_turn(self, recipient: Recipient) -> Turn:
        return Turn()

    async def send(self, recipient: Recipient, message: Message) -> SendResult:
        self.posts.append((recipient, message))
        self.arrived.set()
        return SendResult(Outcome.SENT, external_id=f"post-{len(self.posts)}")

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(10):
            while len(self.posts) < count:
                self.arrived.clear()
                await self.arrived.wait()

    def to(self, address: str) -> list[tuple[Recipient, Message]]:
        return [(r, m) for r, m in self.posts if r.address == address]


async def test_a_channel_with_its_own_format_gets_every_kind_of_item(seeded_url: str) -> None:
    blog = Microblog()
    clock = MovableClock()
    long_story = "The strike leader was taken from his home at night. " * 40
    appeal_id, case_id = await add_appeal(
        seeded_url,
        court=date(2027, 3, 5),
        status=AppealStatus.DRAFT,
        title="Strike leader held",
    )
    update_id, _ = await add_appeal(
        seeded_url,
        case_id=case_id,
        parent_id=appeal_id,
        status=AppealStatus.DRAFT,
        kind=AppealKind.UPDATE,
    )
    async with sessions_for(seeded_url) as sessions, sessions.begin() as session:
        await session.execute(
            update(Appeal).where(Appeal.id == appeal_id).values(summary=long_story)
        )
        follower = (
            await session.execute(
                insert(Subscriber)
                .values(
                    channel="microblog",
                    **sealed("microblog", "@reader@example.social"),
                    state=SubscriberState.ACTIVE,
                    language="en",
                    urgent_only=False,
                    digest=False,
                    unsubscribe_token=new_token(),
                    created_at=system_clock(),
                    updated_at=system_clock(),
                )
                .returning(Subscriber.id)
            )
        ).scalar_one()
        await session.execute(
            insert(subscriber_cases).values(subscriber_id=follower, case_id=case_id)
        )
    overrides = Overrides(channels=[blog], only_channels=True, clock=clock)
    async with app_for(seeded_url, overrides=overrides, telegram_token=None) as app:
        assert app.delivery is not None
        await app.introduce()
        await app.delivery.start()
        try:
            await app.services.publishing.publish(appeal_id, actor=Actor("test"))
            await blog.wait_for(2)
            await app.services.publishing.publish(update_id, actor=Actor("test"))
            await blog.wait_for(4)
            await app.services.outcomes.record(
                case_id,
                OutcomeRequest(case_query="", status=CaseStatus.RELEASED, text="Released."),
                actor=Actor("test"),
                progress_chat_id=None,
            )
            await blog.wait_for(6)
            clock.now = datetime(2027, 3, 4, 18, 0, tzinfo=ALMATY)  # the eve of the trial
            assert (await app.services.time.tick()).reminders == 1
            await blog.wait_for(7)
            await app.services.publishing.withdraw(appeal_id, actor=Actor("test"))
            await blog.wait_for(8)
        finally:
            await app.delivery.stop()

    assert all(len(message.text) <= LIMIT for _, message in blog.posts)
    assert all("<" not in message.text for _, message in blog.posts), "plain text"
    timeline = blog.to("@appeals")
    [appeal, follow_up, outcome, withdrawn] = [message.text for _, message in timeline]
    assert appeal.startswith("Urgent appeal: Strike leader held") or appeal.startswith(
        "Appeal: Strike leader held"
    )
    assert "…" in appeal, "a long summary is cut to fit"
    assert "/appeals/" in appeal
    assert "#UrgentAction" in appeal
    assert follow_up.startswith("Update: ")
    assert outcome.startswith("Outcome: ")
    assert "Released." in outcome
    assert withdrawn.startswith("Withdrawn: Strike leader held")
    # Follow-ups go in the thread of the first post; the withdrawal names what it takes back.
    replies = [recipient.reply_to for recipient, _ in timeline]
    assert replies[:3] == [None, "post-1", "post-1"]
    followed = [message.text for _, message in blog.to("@reader@example.social")]
    assert followed[0].startswith(("Urgent appeal: ", "Appeal: "))
    assert followed[-1].startswith("Tomorrow, ")
    assert "Withdrawn" not in " ".join(followed), "a reader's post is not taken back"
