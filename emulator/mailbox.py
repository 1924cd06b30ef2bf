"""A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it accepts: for tests and the
sandbox, which can make it refuse or fail."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.smtp import SMTP


def free_port() -> int:
    """Return a port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Sink:
    """Keeps every message it accepts; answers what a test tells it to."""

    messages: list[EmailMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # as they came, for signature checks
    envelopes: list[list[str]] = field(default_factory=list)  # each message's RCPT TO
    refuse_rcpt: dict[str, str] = field(default_factory=dict)  # address -> "550 ..."
    data_answers: list[str] = field(default_factory=list)  # next DATA answers, then 250
    mail_answers: list[str] = field(default_factory=list)  # next MAIL FROM answers, then 250
    smtputf8: bool = False  # offer SMTPUTF8 (addresses beyond ASCII), as few relays do
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    noops: int = 0  # NOOP commands answered (a health check asks one)
    data_started: int = 0  # messages whose DATA the sink began to take
    hold: asyncio.Event | None = None  # while set to an unset event, DATA gets no answer
    noop_delay: float = 0.0  # a slow relay: seconds before it answers NOOP

    async def handle_NOOP(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, arg: str
    ) -> str:
        self.noops += 1
        if self.noop_delay:
            await asyncio.sleep(self.noop_delay)
        return "250 OK"

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.mail_answers:
            return self.mail_answers.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        self.data_started += 1
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        if self.data_answers:
            return self.data_answers.pop(0)
        self.raw.append(envelope.content)
        self.envelopes.append(list(envelope.rcpt_tos))
        parsed = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.arrived.set()
        return "250 Message accepted"

    async def wait_started(self, count: int, *, timeout: float = 20.0) -> None:
        """Wait until the sink has begun to take ``count`` messages' DATA."""
        async with asyncio.timeout(timeout):
            while self.data_started < count:
                self.arrived.clear()
                await self.arrived.wait()

    def to(self, address: str) -> list[EmailMessage]:
        """Return the messages for one address."""
        return [message for message in self.messages if message["To"] == address]

    async def wait_for(self, count: int, *, timeout: float = 20.0) -> list[EmailMessage]:
        """Wait until ``count`` messages have arrived."""
        async with asyncio.timeout(timeout):
            while len(self.messages) < count:
                self.arrived.clear()
                await self.arrived.wait()
        return self.messages


@asynccontextmanager
async def smtp_server(sink: Sink, *, port: int = 0) -> AsyncIterator[int]:
    """Serve ``sink`` on 127.0.0.1 (``port`` 0: a free one); yield the port."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", ident="test sink", enable_SMTPUTF8=sink.smtputf8),
        "127.0.0.1",
        port,
    )
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
