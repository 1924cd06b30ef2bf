"""The email channel: appeals through an SMTP relay, over a few reused connections.

SMTP answers are classified by what they mean for the message: 4xx (greylisting, a full
queue) is tried again later; 550/551/553 for the recipient (no such user) means the address
bounced at once; another 5xx for the recipient bounces it the second time; a relay that does
not answer makes every delivery wait, without using up attempts, until it is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import aiosmtplib
from pydantic import BaseModel, Field, SecretStr, model_validator

from bot.channels import Parts
from bot.channels.mail_answers import RELAY_DOWN_WAIT, classify
from bot.channels.mail_mime import Dkim, Mail, MailTemplate, Sender
from bot.delivery.channels import Can, Message, Mirror, Outcome, Pace, SendResult, Turn
from bot.presentation.news import AppealNews, ConfirmNews, DigestNews, View
from bot.presentation.render import Presenter
from core.errors import ConfigError, UnsendableAddressError
from core.timing import Clock
from storage.enums import SubscriberState
from storage.items import Confirmation, Digest, Item, Nudge, Publication, Reminder
from storage.repo.deliveries import Recipient

log = logging.getLogger(__name__)

NAME = "email"  # what its subscribers and deliveries are stored under
MAX_RELAY_WAIT = 300.0


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class EmailSettings(BaseModel):
    """The relay appeals are mailed through, and how mail is signed (off: no ``smtp_host``)."""

    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    mail_from: str = ""
    smtp_rate: float = Field(default=50.0, gt=0)
    smtp_connections: int = Field(default=4, ge=1, le=50)
    # How long deliveries wait, using no attempt, while the SMTP relay cannot be reached.
    smtp_down_wait_seconds: float = Field(default=10.0, gt=0, le=3600)
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    dkim_key_file: str | None = None

    @model_validator(mode="after")
    def _sender(self) -> EmailSettings:
        if self.smtp_host and "@" not in self.mail_from:
            raise ValueError("APPEALBOT_MAIL_FROM must be an email address when SMTP is set")
        dkim = (self.dkim_selector, self.dkim_domain, self.dkim_key_file)
        if any(dkim) and not all(dkim):
            raise ValueError("DKIM needs all three: APPEALBOT_DKIM_SELECTOR, _DOMAIN and _KEY_FILE")
        return self


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


class EmailChannel:
    """Send through a pool of SMTP connections, at most ``rate`` messages a second."""

    name = NAME
    renders: frozenset[type[Item]] = frozenset({Publication, Reminder, Nudge, Digest, Confirmation})
    can: frozenset[Can] = frozenset()
    role: str | None = None  # every worker sends email
    gone = SubscriberState.BOUNCED

    def __init__(
        self,
        options: SmtpOptions,
        sender: Sender,
        *,
        rate: float,
        presenter: Presenter,
        clock: Clock,
        dkim: Dkim | None = None,
        down_wait: float = RELAY_DOWN_WAIT,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._options = options
        self._presenter = presenter
        self._wall = clock  # what the Date header says
        self._clock = monotonic
        self._down_wait = down_wait
        self._templates: OrderedDict[int, tuple[Message, MailTemplate]] = OrderedDict()
        self._trouble = 0  # spells in a row of the relay busy or away
        self._trouble_until = 0.0  # the end of the current spell
        self.sender = sender
        self._dkim = dkim
        self._interval = 1.0 / rate
        self.pace = Pace(rate, concurrency=options.connections)
        self._next = 0.0
        self._pacing = asyncio.Lock()
        self._pool: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        self._started = False

    def render(self, view: View, recipient: Recipient) -> Message | None:
        """Plain text and HTML with a letter to each office, and a subject."""
        presenter = self._presenter
        if isinstance(view, AppealNews):
            return presenter.email_news(view)
        if isinstance(view, DigestNews):
            return presenter.email_digest(view)
        if isinstance(view, ConfirmNews):
            return presenter.email_confirmation(view)
        return None

    async def mirrors(self) -> list[Mirror]:
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
        async with self._pacing:
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
            clock=self._wall,
        )
        # The message is kept with it, so that its id cannot be taken by another meanwhile.
        self._templates[key] = (message, built)
        if len(self._templates) > 256:
            self._templates.popitem(last=False)
        return built

    def _waited(self, result: SendResult) -> SendResult:
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

    async def send(self, recipient: Recipient, message: Message) -> SendResult:
        if not recipient.address:
            return SendResult(Outcome.GONE, "no address")
        try:
            await self.deliver(self.template(message).to(recipient.address, recipient.token))
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            return self._waited(classify(exc, wait=self._down_wait))
        self._trouble, self._trouble_until = 0, 0.0
        return SendResult(Outcome.SENT)


def smtp_options(settings: EmailSettings) -> SmtpOptions:
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


def dkim_signer(settings: EmailSettings) -> Dkim | None:
    """Return the DKIM signer, if the operator gave a selector, a domain and a key."""
    if not (settings.dkim_selector and settings.dkim_domain and settings.dkim_key_file):
        return None
    try:
        key = Path(settings.dkim_key_file).read_bytes()
    except OSError as exc:
        raise ConfigError(f"APPEALBOT_DKIM_KEY_FILE cannot be read: {exc.strerror}") from None
    return Dkim(selector=settings.dkim_selector, domain=settings.dkim_domain, key=key)


def build(settings: EmailSettings, parts: Parts) -> EmailChannel | None:
    """Return the email channel, if an SMTP relay is configured (APPEALBOT_SMTP_HOST)."""
    if not settings.smtp_host:
        return None
    return EmailChannel(
        smtp_options(settings),
        Sender(mail_from=settings.mail_from, public_url=parts.public_url),
        rate=settings.smtp_rate,
        presenter=parts.presenter,
        clock=parts.clock,
        dkim=dkim_signer(settings),
        down_wait=settings.smtp_down_wait_seconds,
    )
