"""Signed webhooks: a receiver on 127.0.0.1 gets every publish and update once, signed by
the Standard Webhooks scheme, as the versioned JSON Schema says, after its failures."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from jsonschema import Draft202012Validator
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from bot.app import Overrides
from bot.services.actors import Actor
from emulator import BotApiEmulator
from storage.enums import AppealStatus, DeliveryState
from storage.models import Delivery
from tests.support.app import app_for
from tests.support.bot import sessions_for
from tests.support.delivery import add_subscribers, delivering, until_done
from tests.support.smtp import free_port
from tests.support.timeline import add_appeal, draft_appeal_and_update

SECRET = "whsec_" + base64.b64encode(b"a webhook secret of the network!").decode()
SCHEMA = Path(__file__).parent.parent / "docs" / "webhooks" / "event.schema.json"
EXAMPLES = SCHEMA.parent / "examples"
FAILURES = 3  # answers 500 this often before it takes an event


@dataclass
class Receiver:
    """A bridge's endpoint: it fails each event's first three attempts, then takes it."""

    url: str = ""
    attempts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    taken: list[dict[str, Any]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        self.attempts.append((headers, body))
        tries = sum(1 for seen, _ in self.attempts if seen["webhook-id"] == headers["webhook-id"])
        if tries <= FAILURES:
            return web.Response(status=500, text="busy")
        self.taken.append(json.loads(body))
        self.arrived.set()
        return web.Response(status=204)

    async def wait_for(self, count: int) -> list[dict[str, Any]]:
        async with asyncio.timeout(15):
            while len(self.taken) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.taken


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        await runner.cleanup()


def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


async def test_every_publish_and_update_is_posted_once_signed_and_as_documented(
    seeded_url: str,
) -> None:
    appeal_id, update_id = await draft_appeal_and_update(seeded_url, "Strike leader held")
    async with receiver() as bridge:
        settings = {
            "telegram_token": None,
            "outgoing_webhooks": bridge.url,
            "outgoing_webhook_secret": SECRET,
            "public_url": "https://appeals.example.org",
        }
        async with (
            app_for(seeded_url, overrides=Overrides(), **settings) as built,
            delivering(built) as app,
        ):
            await app.services.publishing.publish(appeal_id, actor=Actor("test"))
            await bridge.wait_for(1)
            await app.services.publishing.publish(update_id, actor=Actor("test"))
            await bridge.wait_for(2)
            await app.services.publishing.withdraw(appeal_id, actor=Actor("test"))
            [published, updated, withdrawn] = await bridge.wait_for(3)

    signer = Webhook(SECRET)
    for headers, body in bridge.attempts:
        assert signer.verify(body, headers) == json.loads(body), "signed by the scheme"
    ids = [headers["webhook-id"] for headers, _ in bridge.attempts]
    assert ids == [
        *[published["id"]] * (FAILURES + 1),
        *[updated["id"]] * (FAILURES + 1),
        *[withdrawn["id"]] * (FAILURES + 1),
    ], "the same id on each attempt, and nothing after success"
    check = validator()
    for document in (published, updated, withdrawn):
        assert not list(check.iter_errors(document))
    assert withdrawn["type"] == "appeal.withdrawn"
    assert withdrawn["appeal"]["id"] == appeal_id
    assert published["type"] == "appeal.published"
    assert published["appeal"]["title"].startswith("Strike leader held")
    assert published["appeal"]["url"].startswith(
        "https://appeals.example.org/appeals/timed-appeal-"
    )
    assert updated["type"] == "appeal.updated"
    assert updated["appeal"]["follows"] == appeal_id
    assert "subscriber" not in json.dumps([published, updated]), "nothing about readers"
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        states = (
            await session.scalars(select(Delivery.state).where(Delivery.channel == "webhook"))
        ).all()
    assert sorted(states) == [DeliveryState.SENT] * 3


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_the_documented_examples_follow_the_schema(example: Path) -> None:
    document = json.loads(example.read_text(encoding="utf-8"))
    assert not list(validator().iter_errors(document))


async def test_a_receiver_that_hangs_does_not_slow_telegram(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    readers = range(7_100_001, 7_100_061)
    async with sessions_for(seeded_url) as sessions:
        await add_subscribers(sessions, readers)
    appeal_id, _ = await add_appeal(seeded_url, status=AppealStatus.DRAFT, title="Held")
    release = asyncio.Event()
    hanging: list[str] = []

    async def hang(request: web.Request) -> web.Response:
        hanging.append(request.headers["webhook-id"])
        await release.wait()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hang)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    settings: dict[str, Any] = {
        "telegram_token": emulator.token,
        "telegram_api_url": emulator.api_root,
        "outgoing_webhooks": f"http://127.0.0.1:{port}/hook",
        "outgoing_webhook_secret": SECRET,
    }
    try:
        async with app_for(seeded_url, **settings) as built, delivering(built) as service:
            await service.services.publishing.publish(appeal_id, actor=Actor("test"))
            await emulator.wait_until(
                lambda: all(emulator.world.messages.get(chat) for chat in readers),
                timeout=20,
                what="every Telegram reader",
            )
            assert hanging, "the receiver was asked first (a mirror) and has not answered"
            assert not release.is_set()
            release.set()
            await until_done(service.db, appeal_id)
    finally:
        release.set()
        await runner.cleanup()
    assert emulator.world.counters.http_429 == 0
