"""Email test helpers: settings for a bot that mails through a test SMTP server, readers,
links in messages."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from email.message import EmailMessage
from typing import Any

from sqlalchemy import insert, select

from bot.channels.email import EmailChannel, SmtpOptions
from bot.channels.mail_mime import Dkim, Sender
from bot.presentation.render import Presenter
from core.timing import system_clock
from emulator.mailbox import Sink, smtp_server
from storage.enums import DeliveryPurpose, DeliveryState, SubscriberState
from storage.models import Delivery, Subscriber
from storage.repo.deliveries import Recipient
from storage.repo.subscribers import at_address, new_token
from storage.sealed import sealed_columns
from tests.support.bot import sessions_for
from tests.support.delivery import publish_appeal as publish_for_telegram
from tests.support.keys import sealed


async def publish_appeal(url: str, appeal_id: int) -> None:
    """Publish an appeal with email configured, so that email subscribers get it too."""
    await publish_for_telegram(
        url, appeal_id, smtp_host="127.0.0.1", mail_from="appeals@example.org"
    )


def mail_settings(smtp_port: int, http_port: int) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        "smtp_security": "none",
        "mail_from": "appeals@example.org",
        "email_check_deliverability": False,
        "http_port": http_port,
        "public_url": f"http://127.0.0.1:{http_port}",
    }


async def add_reader(url: str, address: str, *, language: str = "en") -> str:
    """Add a confirmed email subscriber; return its unsubscribe token."""
    token = new_token()
    async with sessions_for(url) as sessions, sessions.begin() as session:
        session.add(
            Subscriber(
                channel="email",
                **sealed_columns(session, "email", address),
                state=SubscriberState.ACTIVE,
                unsubscribe_token=token,
                confirmed_at=system_clock(),
                language=language,
            )
        )
    return token


async def add_readers(url: str, addresses: list[str]) -> None:
    """Add many confirmed email subscribers at once."""
    now = system_clock()
    rows = [
        {
            "channel": "email",
            **sealed("email", address),
            "state": SubscriberState.ACTIVE,
            "language": "en",
            "urgent_only": False,
            "digest": False,
            "unsubscribe_token": new_token(),
            "confirmed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for address in addresses
    ]
    async with sessions_for(url) as sessions, sessions.begin() as session:
        await session.execute(insert(Subscriber), rows)


async def subscriber(url: str, address: str) -> Subscriber | None:
    async with sessions_for(url) as sessions, sessions() as session:
        return await session.scalar(select(Subscriber).where(at_address(session, "email", address)))


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def link(text: str, path: str) -> str:
    found = re.search(rf"(http://[^\s\"<>]+{path}[^\s\"<>]+)", text)
    assert found, path
    return found.group(1)


async def rows_in(
    url: str,
    states: dict[DeliveryState, int],
    *,
    error: str = "",
    purpose: DeliveryPurpose | None = None,
    timeout: float = 20.0,
) -> None:
    """Wait until the delivery rows (of a ``purpose``) are in these states (``error``: each
    with that in its last error): what the engine has recorded, not what it may still do."""
    async with sessions_for(url) as sessions, asyncio.timeout(timeout):
        while True:
            async with sessions() as session:
                statement = select(Delivery)
                if purpose is not None:
                    statement = statement.where(Delivery.purpose == purpose)
                rows = (await session.scalars(statement)).all()
            found = Counter(row.state for row in rows if error in (row.last_error or ""))
            if found == Counter(states):
                return
            await asyncio.sleep(0.05)


@asynccontextmanager
async def email_channel(
    sink: Sink, monotonic: Callable[[], float] = time.monotonic, dkim: Dkim | None = None
) -> AsyncIterator[EmailChannel]:
    """One pooled connection to a real SMTP server, as the service builds it."""
    async with smtp_server(sink) as port:
        channel = EmailChannel(
            SmtpOptions(host="127.0.0.1", port=port, security="none", connections=1),
            Sender(mail_from="appeals@example.org", public_url="https://appeals.example.org"),
            rate=1000.0,
            presenter=Presenter(),
            clock=system_clock,
            monotonic=monotonic,
            dkim=dkim,
        )
        await channel.start()
        try:
            yield channel
        finally:
            await channel.close()


def reader_at(address: str) -> Recipient:
    """Return an email reader to send to directly through a channel."""
    return Recipient(None, "email", address, None, "en", SubscriberState.ACTIVE, "t" * 32)
