"""The email channel: appeals through an SMTP relay, over a few reused connections.

SMTP answers are classified by what they mean for the message: 4xx (greylisting, a full
queue) is tried again later; 550/551/553 for the recipient (no such user) means the address
bounced at once; another 5xx for the recipient bounces it the second time; a relay that does
not answer makes every delivery wait, without using up attempts, until it is back.
"""

from __future__ import annotations

import asyncio
import binascii
import logging
import secrets
import time
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, make_msgid

import aiosmtplib
import dkim

from bot.delivery.channels import Message, Outcome, Result, Turn
from storage.enums import Channel
from storage.repo.deliveries import Recipient
from storage.types import utcnow

log = logging.getLogger(__name__)

UNSUBSCRIBE = "%%UNSUBSCRIBE_URL%%"  # in a rendered body: this recipient's own link
SETTINGS = "%%SETTINGS_URL%%"
FORGET = "%%FORGET_URL%%"
NO_SUCH_USER = frozenset({550, 551, 553})
RELAY_DOWN_WAIT = 10.0  # seconds a delivery waits while the relay cannot be reached


@dataclass(frozen=True, slots=True)
class SmtpOptions:
    """Where the relay is and how to talk to it."""

    host: str
    port: int
    security: str = "starttls"  # none, starttls, tls
    username: str | None = None
    password: str | None = None
    timeout: float = 20.0
    connections: int = 4


@dataclass(frozen=True, slots=True)
class Dkim:
    """DKIM signing by appealbot itself (else the relay signs)."""

    selector: str
    domain: str
    key: bytes  # the private key, PEM

    SIGNED = (
        b"From", b"To", b"Subject", b"Date", b"Message-ID", b"List-Id",
        b"List-Unsubscribe", b"List-Unsubscribe-Post",
    )  # fmt: skip

    def sign(self, message: bytes) -> bytes:
        """Return the message with a DKIM-Signature header covering the list headers."""
        signature = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.key,
            include_headers=[h for h in self.SIGNED if h.lower() + b":" in message.lower()],
        )
        return bytes(signature) + message


@dataclass(frozen=True, slots=True)
class Sender:
    """Who the mail is from, and where its links point."""

    mail_from: str
    public_url: str
    list_id: str = "appeals"

    @property
    def domain(self) -> str:
        """Return the domain of the From address (for Message-IDs and List-Id)."""
        return self.mail_from.rsplit("@", 1)[-1]

    def unsubscribe_url(self, token: str) -> str:
        """Return a subscriber's one-click unsubscribe link."""
        return f"{self.public_url}/email/unsubscribe/{token}"

    def settings_url(self, token: str) -> str:
        """Return a subscriber's settings page."""
        return f"{self.public_url}/email/settings/{token}"

    def forget_url(self, token: str) -> str:
        """Return the page that deletes an address and everything about it."""
        return f"{self.public_url}/email/forget/{token}"


@dataclass(frozen=True, slots=True)
class Mail:
    """One message as it goes on the wire, and whom it is for."""

    to: str
    data: bytes
    mail_from: str


def _header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode(linesep="\r\n")


def _part(subtype: str, body: str) -> bytes:
    # Quoted-printable: readable in any client, safe for relays without 8BITMIME, and its
    # output never holds "=_", which is why the boundary starts with it.
    encoded = binascii.b2a_qp(body.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode() + encoded.replace(b"\n", b"\r\n")


def build_email(
    sender: Sender,
    to: str,
    *,
    subject: str,
    text: str,
    html: str | None,
    token: str | None,
    bulk: bool = True,
) -> Mail:
    """Return a multipart/alternative message with the list headers of RFC 2369 and 8058.

    Written straight to bytes: the email package's generator costs several times more than
    the sending, and an appeal goes to thousands of readers a few seconds apart.
    """
    if token is not None:
        links = (
            (UNSUBSCRIBE, sender.unsubscribe_url(token)),
            (SETTINGS, sender.settings_url(token)),
            (FORGET, sender.forget_url(token)),
        )
        for marker, url in links:
            text = text.replace(marker, url)
            html = html.replace(marker, url) if html else html
    headers = [
        f"From: {sender.mail_from}",
        f"To: {_header(to)}",
        f"Subject: {_header(subject)}",
        f"Date: {format_datetime(utcnow())}",
        f"Message-ID: {make_msgid(domain=sender.domain)}",
        "MIME-Version: 1.0",
        "Auto-Submitted: auto-generated",
    ]
    if token is not None and bulk:
        headers += [
            f"List-Id: {sender.list_id} <{sender.list_id}.{sender.domain}>",
            f"List-Unsubscribe: <{sender.unsubscribe_url(token)}>,\r\n"
            f" <mailto:{sender.mail_from}?subject=unsubscribe%20{token}>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ]
    if html:
        boundary = f"=_{secrets.token_hex(12)}"
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        dash = f"--{boundary}\r\n".encode()
        body = b"".join(
            (
                dash,
                _part("plain", text),
                b"\r\n",
                dash,
                _part("html", html),
                f"\r\n--{boundary}--\r\n".encode(),
            )
        )
        head = "\r\n".join(headers).encode() + b"\r\n\r\n"
    else:
        part = _part("plain", text)
        head, _, body = part.partition(b"\r\n\r\n")
        head = "\r\n".join(headers).encode() + b"\r\n" + head + b"\r\n\r\n"
    return Mail(to=to, data=head + body, mail_from=sender.mail_from)


def classify(exc: BaseException, *, down_wait: float = RELAY_DOWN_WAIT) -> Result:
    """Say what an SMTP failure means for the message (``down_wait``: how long to wait for a
    relay that cannot be reached)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        code = codes[0] if codes else 550
        return _by_code(code, str(exc))
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPServerDisconnected
    ):
        return _by_code(exc.code, exc.message)
    # Connection refused, reset, timed out: the relay is away, nothing is wrong with the mail.
    return Result(Outcome.WAIT, f"relay unreachable: {type(exc).__name__}", down_wait)


def _by_code(code: int, text: str) -> Result:
    error = f"SMTP {code}: {text}"[:300]
    if 400 <= code < 500:
        return Result(Outcome.RETRY, error)
    if code in NO_SUCH_USER:
        return Result(Outcome.GONE, f"bounced: {error}")
    return Result(Outcome.REFUSED, error)


class EmailChannel:
    """Send through a pool of SMTP connections, at most ``rate`` messages a second."""

    channel = Channel.EMAIL

    def __init__(
        self,
        options: SmtpOptions,
        sender: Sender,
        *,
        rate: float,
        dkim: Dkim | None = None,
        down_wait: float = RELAY_DOWN_WAIT,
    ) -> None:
        self._options = options
        self._down_wait = down_wait
        self.sender = sender
        self._dkim = dkim
        self._interval = 1.0 / rate
        self._next = 0.0
        self._pace = asyncio.Lock()
        self._pool: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        self._started = False

    async def start(self) -> None:
        # Connections open when first needed: a relay that is down does not stop the bot.
        if not self._started:
            self._started = True
            for _ in range(self._options.connections):
                self._pool.put_nowait(None)

    async def close(self) -> None:
        self._started = False
        while not self._pool.empty():
            client = self._pool.get_nowait()
            if client is not None and client.is_connected:
                try:
                    await client.quit()
                except aiosmtplib.SMTPException:
                    client.close()

    async def wait_turn(self, recipient: Recipient) -> Turn:
        async with self._pace:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await asyncio.sleep(wait)
        return Turn()

    def _client(self) -> aiosmtplib.SMTP:
        options = self._options
        return aiosmtplib.SMTP(
            hostname=options.host,
            port=options.port,
            use_tls=options.security == "tls",
            start_tls=options.security == "starttls",
            username=options.username,
            password=options.password,
            timeout=options.timeout,
        )

    async def reachable(self) -> bool:
        """Tell whether the relay answers (a connection, a NOOP, a QUIT)."""
        client = self._client()
        try:
            await client.connect()
            await client.noop()
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()
            return False
        return True

    async def deliver(self, mail: Mail) -> None:
        """Send one message on a pooled connection (opened, or opened again, as needed)."""
        await self.start()
        client = await self._pool.get()
        try:
            if client is None or not client.is_connected:
                client = self._client()
                await client.connect()
            data = mail.data if self._dkim is None else self._dkim.sign(mail.data)
            await client.sendmail(mail.mail_from, [mail.to], data)
        except aiosmtplib.SMTPServerDisconnected:
            client = None
            raise
        except (OSError, aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError):
            if client is not None:
                client.close()
            client = None
            raise
        finally:
            self._pool.put_nowait(client)

    async def send(self, recipient: Recipient, message: Message) -> Result:
        if not recipient.email:
            return Result(Outcome.GONE, "no address")
        subject = str(message.extra.get("subject", "An appeal"))
        email = build_email(
            self.sender,
            recipient.email,
            subject=subject,
            text=message.text,
            html=message.html,
            token=recipient.token,
        )
        try:
            await self.deliver(email)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return classify(exc, down_wait=self._down_wait)
        return Result(Outcome.SENT)
