"""Email as it goes on the wire: multipart messages written by the email package once per
appeal and language, each reader's headers and links put in, and DKIM signatures."""

from __future__ import annotations

import functools
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, make_msgid

import dkim

from bot.presentation import urls

UNSUBSCRIBE = "%%UNSUBSCRIBE_URL%%"  # in a rendered body: this recipient's own link
SETTINGS = "%%SETTINGS_URL%%"
FORGET = "%%FORGET_URL%%"


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
        return urls.absolute(self.public_url, urls.email_unsubscribe(token))

    def settings_url(self, token: str) -> str:
        """Return a subscriber's settings page."""
        return urls.absolute(self.public_url, urls.email_settings(token))

    def forget_url(self, token: str) -> str:
        """Return the page that deletes an address and everything about it."""
        return urls.absolute(self.public_url, urls.email_forget(token))


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
        self,
        sender: Sender,
        *,
        subject: str,
        text: str,
        html: str | None,
        clock: Callable[[], datetime],
        bulk: bool = True,
    ) -> None:
        self.sender = sender
        self._clock = clock
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
            head["Date"] = format_datetime(self._clock())
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
    clock: Callable[[], datetime],
    bulk: bool = True,
) -> Mail:
    """Return one multipart/alternative message with the list headers of RFC 2369 and 8058,
    written by the email package."""
    template = MailTemplate(sender, subject=subject, text=text, html=html, clock=clock, bulk=bulk)
    return template.to(to, token)
