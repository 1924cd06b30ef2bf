"""Matrix rooms, against a real Synapse on 127.0.0.1: appeals posted as the bot user,
updates in the appeal's thread, the homeserver's rate limit kept, a room the bot was removed
from no longer tried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.app import App, Overrides
from bot.channels.matrix import MatrixChannel
from bot.delivery.channels import Message, Outcome
from bot.delivery.figures import Progress
from bot.jobs.progress_message import no_limits
from bot.presentation.render import Presenter
from bot.services.actors import Actor
from storage.enums import AppealStatus, DeliveryState, SubscriberState
from storage.models import Delivery, Subscriber
from storage.repo.deliveries import Recipient
from tests.support.app import app_for
from tests.support.bot import sessions_for
from tests.support.delivery import delivering
from tests.support.matrix import Homeserver, homeserver
from tests.support.smtp import free_port
from tests.support.timeline import add_appeal, draft_appeal_and_update

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.xdist_group("matrix")]
BOT = "@appealbot:localhost"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def synapse() -> AsyncIterator[Homeserver]:
    """One homeserver for the module, with a tight message limit (2 at once, then 1 a second)."""
    async with homeserver(messages_per_second=1.0, burst=2) as server:
        yield server


async def room_with_bot(server: Homeserver, reader: str) -> tuple[str, str, str]:
    """Register a reader and the bot (once), make a room inviting the bot; return the room,
    the reader's token and the bot's."""
    reader_token = await server.register(reader, f"pw-{reader}-1")
    bot_token = await server.register("appealbot", "pw-appealbot-1")
    room = await server.call(
        "POST",
        "/_matrix/client/v3/createRoom",
        reader_token,
        {"name": "Solidarity", "invite": [BOT]},
    )
    return room["room_id"], reader_token, bot_token


def settings(server: Homeserver, bot_token: str, room: str) -> dict[str, Any]:
    return {
        "telegram_token": None,
        "matrix_homeserver": server.url,
        "matrix_user": BOT,
        "matrix_access_token": bot_token,
        "matrix_rooms": room,
        "public_url": "https://appeals.example.org",
    }


async def publish(app: App, *appeal_ids: int) -> None:
    for appeal_id in appeal_ids:
        await app.services.publishing.publish(appeal_id, actor=Actor("test"))


async def sent_to_matrix(url: str) -> list[DeliveryState]:
    async with sessions_for(url) as sessions, sessions() as session:
        found = await session.scalars(select(Delivery.state).where(Delivery.channel == "matrix"))
        return list(found.all())


async def wait_until_settled(url: str, count: int) -> list[DeliveryState]:
    """Wait until ``count`` Matrix deliveries have an outcome (the engine's own record)."""
    async with asyncio.timeout(30):
        while True:
            states = await sent_to_matrix(url)
            done = [s for s in states if s not in (DeliveryState.PENDING, DeliveryState.SENDING)]
            if len(done) >= count:
                return states
            await asyncio.sleep(0.1)


async def test_appeals_go_to_the_room_and_updates_into_their_thread(
    synapse: Homeserver, seeded_url: str
) -> None:
    room, reader, bot = await room_with_bot(synapse, "reader-one")
    appeal_id, update_id = await draft_appeal_and_update(seeded_url, "Strike leader held")
    async with (
        app_for(seeded_url, overrides=Overrides(), **settings(synapse, bot, room)) as built,
        delivering(built) as app,
    ):
        await publish(app, appeal_id, update_id)
        assert await wait_until_settled(seeded_url, 2) == [DeliveryState.SENT] * 2
    first, second = await synapse.messages(room, reader)
    assert first["sender"] == BOT
    assert "Strike leader held" in first["content"]["body"]
    assert "<b>" not in first["content"]["body"], "a plain body"
    assert first["content"]["format"] == "org.matrix.custom.html"
    assert "https://appeals.example.org/appeals/" in first["content"]["body"], "the page link"
    relation = second["content"]["m.relates_to"]
    assert relation["rel_type"] == "m.thread"
    assert relation["event_id"] == first["event_id"], "the update answers in the appeal's thread"


async def test_the_homeservers_limit_is_waited_out_and_a_lost_room_is_no_longer_tried(
    synapse: Homeserver, seeded_url: str
) -> None:
    room, reader, bot = await room_with_bot(synapse, "reader-two")
    appeals = [
        (await add_appeal(seeded_url, status=AppealStatus.DRAFT, title=f"Held {n}"))[0]
        for n in range(5)
    ]
    async with (
        app_for(seeded_url, overrides=Overrides(), **settings(synapse, bot, room)) as built,
        delivering(built) as app,
    ):
        await publish(app, *appeals[:4])
        assert await wait_until_settled(seeded_url, 4) == [DeliveryState.SENT] * 4
        assert app.delivery is not None
        assert app.delivery.stats.outcomes["wait"] >= 1, "M_LIMIT_EXCEEDED was met, and kept"
        # An admin of the room removes the bot: the room is gone for us.
        await synapse.call(
            "POST",
            f"/_matrix/client/v3/rooms/{room}/kick",
            reader,
            {"user_id": BOT, "reason": "test"},
        )
        await publish(app, appeals[4])
        states = await wait_until_settled(seeded_url, 5)
        # Admins are told in /stats (and `appealbot stats`): the room no longer gets posts.
        figures = await app.services.stats.collect()
        assert ("matrix", room, "blocked") in figures.mirrors
        [said] = app.presenter.telegram("stats", stats=figures)
        assert f"matrix {room}: no longer posting" in said
        # ... and in the progress message of the broadcast that met the lost room.
        [lost] = await app.services.broadcasts.mirrors(appeals[4])
        assert (lost.channel, lost.where, lost.lost) == ("matrix", room, True)
        [sent] = await app.services.broadcasts.mirrors(appeals[0])
        assert sent.state is DeliveryState.SENT
        [progress] = app.presenter.telegram(
            "progress",
            progress=Progress(appeals[4], 1, 0, 0, 1, 0, 0.0, 1.0),
            title="Held 4",
            eta="",
            took="1 s",
            average="",
            limit=no_limits(),
            pauses=0,
            paused="",
            mirrors=[lost],
        )
        assert f"matrix {room} ✗ no longer posting" in progress
    assert sorted(states).count(DeliveryState.SENT) == 4
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        mirror = await session.scalar(
            select(Subscriber.state).where(Subscriber.channel == "matrix")
        )
    assert mirror is SubscriberState.BLOCKED, "no longer tried"
    bodies = [event["content"]["body"] for event in await synapse.messages(room, reader)]
    assert sum(1 for body in bodies if "Held " in body) == 4, "each posted once"


async def test_a_homeserver_that_cannot_be_reached_is_waited_out() -> None:
    channel = MatrixChannel(
        f"http://127.0.0.1:{free_port()}",
        BOT,
        "token",
        ("!room",),
        presenter=Presenter(),
        down_wait=7.0,
    )
    try:
        assert await channel.mirrors() is None, "the rooms are left as they are"
        result = await channel.send(
            Recipient(
                subscriber_id=1,
                channel="matrix",
                address="!room",
                kind="room",
                language="en",
                state=SubscriberState.ACTIVE,
                mirror=True,
            ),
            Message(text="An appeal"),
        )
    finally:
        await channel.close()
    assert result.outcome is Outcome.WAIT, "no attempt is used up while it is away"
    assert result.retry_after == 7.0
