"""The email channel: appeals through an SMTP relay, over a few reused connections.

SMTP answers are classified by what they mean for the message: 4xx (greylisting, a full
queue) is tried again later; 550/551/553 for the recipient (no such user) means the address
bounced at once; another 5xx for the recipient bounces it the second time; a relay that does
not answer makes every delivery wait, without using up attempts, until it is back.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, make_msgid
from enum import StrEnum
from pathlib import Path

import aiosmtplib
import dkim

from bot.config import Settings
from bot.delivery.channels import Message, Outcome, Parts, Renders, Result, Target, Turn
from core.errors import ConfigError, UnsendableAddressError
from storage.enums import Channel, SubscriberState
from storage.repo.deliveries import Recipient
from storage.types import utcnow

log = logging.getLogger(__name__)

UNSUBSCRIBE = "%%UNSUBSCRIBE_URL%%"  # in a rendered body: this recipient's own link
SETTINGS = "%%SETTINGS_URL%%"
FORGET = "%%FORGET_URL%%"
NO_SUCH_USER = frozenset({550, 551, 553})
RELAY_DOWN_WAIT = 10.0  # seconds a delivery waits while the relay cannot be reached
MAX_RELAY_WAIT = 300.0


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


# Per-reader links in a rendered body are these markers; a message is built once per appeal
# and language with a stand-in token of the length of a real one, which each reader's token
# then replaces in the encoded bytes (quoted-printable may have broken it across lines).
TOKEN_LENGTH = 32


class _Registry(HeaderRegistry):
    """The email package's header registry, which makes each header's class once, not every
    time a header is set (that was a third of the time of writing a reader's headers)."""

    @functools.cache  # noqa: B019 (one registry per policy, for the life of the process)
    def __getitem__(self, name: str) -> type[BaseHeader]:
        return super().__getitem__(name)


_REGISTRY = _Registry()
_SHARED = SMTP.clone(header_factory=_REGISTRY)
# A reader's own headers: To, Message-ID, and List-Unsubscribe, whose <…> a mail client reads
# as they are, so they are folded at most at 998 characters, never cut into encoded words.
_OWN = SMTP.clone(header_factory=_REGISTRY, max_line_length=998)
_OWN_UTF8 = SMTPUTF8.clone(header_factory=_REGISTRY, max_line_length=998)
SHARED_HEAD_FOR = 600.0  # seconds a message's Date (and the other shared headers) are kept
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _one_line(value: str) -> str:
    """Return a header value as one line: line breaks and other control characters become
    spaces (the email package refuses them; a title from data may hold them)."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _soft_broken(token: str) -> re.Pattern[bytes]:
    """Match a token in quoted-printable text, soft line breaks allowed anywhere in it."""
    return re.compile(b"(?:=\r\n)?".join(re.escape(bytes([c])) for c in token.encode()))


class MailTemplate:
    """One message, built with the email package, sent to many readers.

    The body (both parts, encoded) is written once; each reader gets their own headers, also
    written by the email package, and their token in the links.
    """

    def __init__(
        self, sender: Sender, *, subject: str, text: str, html: str | None, bulk: bool = True
    ) -> None:
        self.sender = sender
        self.subject = _one_line(subject)
        self.bulk = bulk
        self._text, self._html = text, html
        self._stand_in = secrets.token_urlsafe(24)
        self._head: tuple[float, bytes] | None = None
        self._content_headers, self._body = self._encode(self._stand_in)
        self._pattern = _soft_broken(self._stand_in)

    def _encode(self, token: str) -> tuple[bytes, bytes]:
        """Write both parts with the links of ``token``; return their headers and body."""
        body = EmailMessage(policy=_SHARED)
        body.set_content(self._links(self._text, token), cte="quoted-printable")
        if self._html:
            body.add_alternative(
                self._links(self._html, token), subtype="html", cte="quoted-printable"
            )
            for part in body.iter_parts():
                del part["MIME-Version"]  # the message's own is enough
        head, _, encoded = body.as_bytes().partition(b"\r\n\r\n")
        return head + b"\r\n", encoded

    def _links(self, text: str, token: str) -> str:
        sender = self.sender
        for marker, url in (
            (UNSUBSCRIBE, sender.unsubscribe_url(token)),
            (SETTINGS, sender.settings_url(token)),
            (FORGET, sender.forget_url(token)),
        ):
            text = text.replace(marker, url)
        return text

    def _shared(self) -> bytes:
        """Return the headers every reader's copy has (From, Subject, Date, the list headers
        with the stand-in token), written by the email package once, and again when their
        Date is ten minutes old."""
        now = time.monotonic()
        if self._head is None or now - self._head[0] > SHARED_HEAD_FOR:
            sender, token = self.sender, self._stand_in
            head = EmailMessage(policy=_SHARED)
            head["From"] = sender.mail_from
            head["Subject"] = self.subject
            head["Date"] = format_datetime(utcnow())
            head["Auto-Submitted"] = "auto-generated"
            written = _lines(head)
            if self.bulk:
                # Folded as one line each: a mail client reads the <…> of List-Unsubscribe
                # as they are, so they must not be cut into encoded words (nor the token).
                lists = EmailMessage(policy=_OWN)
                lists["List-Id"] = f"{sender.list_id} <{sender.list_id}.{sender.domain}>"
                lists["List-Unsubscribe"] = (
                    f"<{sender.unsubscribe_url(token)}>, "
                    f"<mailto:{sender.mail_from}?subject=unsubscribe%20{token}>"
                )
                lists["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
                written += _lines(lists)
            self._head = (now, written)
        return self._head[1]

    def headers(self, to: str, token: str | None) -> bytes:
        """Return the reader's headers: their own (To, Message-ID) and the ones all share,
        with the reader's token in List-Unsubscribe; every one written by the email
        package."""
        own = EmailMessage(policy=_OWN if to.isascii() else _OWN_UTF8)
        own["To"] = to
        own["Message-ID"] = make_msgid(domain=self.sender.domain)
        shared = self._shared()
        if token is not None and self.bulk:
            shared = shared.replace(self._stand_in.encode(), token.encode())
        elif self.bulk:
            shared = _without_list_unsubscribe(shared)
        return _lines(own) + shared

    def to(self, to: str, token: str | None) -> Mail:
        """Return the message for one reader (``token``: theirs, for their links)."""
        content_headers, body = self._content_headers, self._body
        if token is not None and len(token) == TOKEN_LENGTH:
            body = self._pattern.sub(
                lambda found: _replace_keeping_breaks(found.group(0), token.encode()), body
            )
        elif token is not None:
            # A token of another length (an older one) cannot stand in place: written anew.
            content_headers, body = self._encode(token)
        data = self.headers(to, token) + content_headers + b"\r\n" + body
        return Mail(to=to, data=data, mail_from=self.sender.mail_from)


def _without_list_unsubscribe(head: bytes) -> bytes:
    """Return header lines without List-Unsubscribe (a message to one with no token)."""
    return b"".join(
        line
        for line in head.splitlines(keepends=True)
        if not line.lower().startswith(b"list-unsubscribe:")
    )


def _lines(headers: EmailMessage) -> bytes:
    """Return a message of headers only as its header lines (each ending in CRLF)."""
    return headers.as_bytes().rstrip(b"\r\n") + b"\r\n"


def _replace_keeping_breaks(found: bytes, token: bytes) -> bytes:
    """Put ``token`` where the stand-in was, each soft line break where it was."""
    out, position = bytearray(), 0
    index = 0
    while index < len(found):
        if found.startswith(b"=\r\n", index):
            out += b"=\r\n"
            index += 3
            continue
        out.append(token[position])
        position += 1
        index += 1
    return bytes(out)


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
    """Return one multipart/alternative message with the list headers of RFC 2369 and 8058,
    written by the email package."""
    return MailTemplate(sender, subject=subject, text=text, html=html, bulk=bulk).to(to, token)


class Refusal(StrEnum):
    """Whose fault a failure was, by the step of the transaction it came at."""

    RELAY = "relay"  # the relay, busy or away: wait for it, using no attempt
    MESSAGE = "message"  # this message, never this reader: tried again, then failed
    READER = "reader"  # the reader's address: bounced


def classify(exc: BaseException, *, wait: float = RELAY_DOWN_WAIT) -> Result:
    """Say what an SMTP failure means for the message (``wait``: how long to wait for a relay
    that is busy or cannot be reached).

    Only the relay's answer to the recipient (RCPT) or to the message itself (DATA) counts
    against the reader's address; a refused sender, a command out of sequence or an address
    the relay cannot take say nothing about whether the reader's address works.
    """
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refused.code for refused in exc.recipients]
        return _by_code(codes[0] if codes else 550, str(exc), Refusal.READER, wait)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return _by_code(exc.code, exc.message, Refusal.READER, wait)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(
        exc, aiosmtplib.SMTPServerDisconnected
    ):
        return _by_code(exc.code, exc.message, Refusal.MESSAGE, wait)
    if isinstance(exc, ValueError):
        # An address that cannot go on an SMTP command line (the relay never saw it).
        return Result(Outcome.FAILED, f"cannot be sent: {exc}"[:300])
    # Connection refused, reset, timed out: the relay is away, nothing is wrong with the mail.
    return Result(Outcome.WAIT, f"relay unreachable: {type(exc).__name__}", wait)


def _by_code(code: int, text: str, whose: Refusal, wait: float) -> Result:
    error = f"SMTP {code}: {text}"[:300]
    if 400 <= code < 500:
        # 421, 450, 451, 452: busy, greylisting, full: later, with no attempt used.
        return Result(Outcome.WAIT, error, wait)
    if whose is not Refusal.READER:
        return Result(Outcome.RETRY, error)
    if code in NO_SUCH_USER:
        return Result(Outcome.GONE, f"bounced: {error}")
    return Result(Outcome.REFUSED, error)


class EmailChannel:
    """Send through a pool of SMTP connections, at most ``rate`` messages a second."""

    name = Channel.EMAIL.value
    renders = Renders.EMAIL
    role: str | None = None  # every worker sends email
    gone = SubscriberState.BOUNCED

    def __init__(
        self,
        options: SmtpOptions,
        sender: Sender,
        *,
        rate: float,
        dkim: Dkim | None = None,
        down_wait: float = RELAY_DOWN_WAIT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._options = options
        self._clock = clock
        self._down_wait = down_wait
        self._templates: OrderedDict[int, tuple[Message, MailTemplate]] = OrderedDict()
        self._trouble = 0  # spells in a row of the relay busy or away
        self._trouble_until = 0.0  # the end of the current spell
        self.sender = sender
        self._dkim = dkim
        self._interval = 1.0 / rate
        self._next = 0.0
        self._pace = asyncio.Lock()
        self._pool: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        self._started = False

    async def targets(self) -> list[Target]:
        """No mirrors: email goes to readers who signed up."""
        return []

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
        """Send one message on a pooled connection (opened, or opened again, as needed).

        After any failure the connection is closed, not given back: a transaction cut short
        would otherwise meet the next message (``503 nested MAIL command``).
        """
        await self.start()
        client = await self._pool.get()
        try:
            if client is None or not client.is_connected:
                client = self._client()
                await client.connect()
            options = []
            if not mail.to.isascii():
                if client.last_ehlo_response is None:
                    await client.ehlo()
                if not client.supports_extension("smtputf8"):
                    raise UnsendableAddressError(
                        "the relay cannot take an address with letters beyond ASCII"
                    )
                options.append("SMTPUTF8")
            data = mail.data if self._dkim is None else self._dkim.sign(mail.data)
            await client.sendmail(mail.mail_from, [mail.to], data, mail_options=options)
        except BaseException:
            if client is not None:
                client.close()
            client = None
            raise
        finally:
            self._pool.put_nowait(client)

    def template(self, message: Message) -> MailTemplate:
        """Return the message built for many readers (once per rendered message)."""
        key = id(message)
        found = self._templates.get(key)
        if found is not None and found[0] is message:
            self._templates.move_to_end(key)
            return found[1]
        built = MailTemplate(
            self.sender,
            subject=message.subject or "An appeal",
            text=message.text,
            html=message.html,
            bulk=bool(message.extra.get("bulk", True)),
        )
        # The message is kept with it, so that its id cannot be taken by another meanwhile.
        self._templates[key] = (message, built)
        if len(self._templates) > 256:
            self._templates.popitem(last=False)
        return built

    def _waited(self, result: Result) -> Result:
        """Count the relay's trouble: each spell of it waited out twice as long as the last
        (at most 5 minutes); answers that come within one spell count once."""
        if result.outcome is not Outcome.WAIT:
            return result
        now = self._clock()
        if now >= self._trouble_until or not self._trouble:
            self._trouble = min(self._trouble + 1, 16)
        wait = min(MAX_RELAY_WAIT, self._down_wait * 2 ** (self._trouble - 1))
        self._trouble_until = max(self._trouble_until, now + wait)
        return replace(result, retry_after=wait)

    async def send(self, recipient: Recipient, message: Message) -> Result:
        if not recipient.address:
            return Result(Outcome.GONE, "no address")
        try:
            await self.deliver(self.template(message).to(recipient.address, recipient.token))
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            return self._waited(classify(exc, wait=self._down_wait))
        self._trouble, self._trouble_until = 0, 0.0
        return Result(Outcome.SENT)


def smtp_options(settings: Settings) -> SmtpOptions:
    """Return how to reach the configured SMTP relay."""
    assert settings.smtp_host is not None
    security = settings.smtp_security.value
    default_port = {"tls": 465, "starttls": 587}.get(security, 25)
    return SmtpOptions(
        host=settings.smtp_host,
        port=settings.smtp_port or default_port,
        security=security,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        connections=settings.smtp_connections,
    )


def dkim_signer(settings: Settings) -> Dkim | None:
    """Return the DKIM signer, if the operator gave a selector, a domain and a key."""
    if not (settings.dkim_selector and settings.dkim_domain and settings.dkim_key_file):
        return None
    try:
        key = Path(settings.dkim_key_file).read_bytes()
    except OSError as exc:
        raise ConfigError(f"APPEALBOT_DKIM_KEY_FILE cannot be read: {exc.strerror}") from None
    return Dkim(selector=settings.dkim_selector, domain=settings.dkim_domain, key=key)


def build(settings: Settings, _parts: Parts) -> EmailChannel | None:
    """Return the email channel, if an SMTP relay is configured (APPEALBOT_SMTP_HOST)."""
    if not settings.smtp_host:
        return None
    return EmailChannel(
        smtp_options(settings),
        Sender(mail_from=settings.mail_from, public_url=settings.public_url),
        rate=settings.smtp_rate,
        dkim=dkim_signer(settings),
        down_wait=settings.smtp_down_wait_seconds,
    )
