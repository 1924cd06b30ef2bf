"""What an SMTP relay's answers mean for a message: wait, try again, failed, or bounced."""

from __future__ import annotations

import re
from enum import StrEnum

import aiosmtplib

from bot.delivery.channels import Outcome, SendResult

NO_SUCH_USER = frozenset({550, 551, 553})
RELAY_DOWN_WAIT = 10.0  # seconds a delivery waits while the relay cannot be reached
# A relay's answer often repeats the address ("550 <x@example.org>: no such user"); what is
# kept of it in the outbox must not: the address is sealed, its error is not.
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def without_addresses(text: str) -> str:
    """Return a relay's answer with every email address in it replaced by "<address>"."""
    return _ADDRESS.sub("<address>", text)


class Refusal(StrEnum):
    """Whose fault a failure was, by the step of the transaction it came at."""

    RELAY = "relay"  # the relay, busy or away: wait for it, using no attempt
    MESSAGE = "message"  # this message, never this reader: tried again, then failed
    READER = "reader"  # the reader's address: bounced


def classify(exc: BaseException, *, wait: float = RELAY_DOWN_WAIT) -> SendResult:
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
        return SendResult(Outcome.FAILED, without_addresses(f"cannot be sent: {exc}")[:300])
    # Connection refused, reset, timed out: the relay is away, nothing is wrong with the mail.
    return SendResult(Outcome.WAIT, f"relay unreachable: {type(exc).__name__}", wait)


def _by_code(code: int, text: str, whose: Refusal, wait: float) -> SendResult:
    error = without_addresses(f"SMTP {code}: {text}")[:300]
    if 400 <= code < 500:
        # 421, 450, 451, 452: busy, greylisting, full: later, with no attempt used.
        return SendResult(Outcome.WAIT, error, wait)
    if whose is not Refusal.READER:
        return SendResult(Outcome.RETRY, error)
    if code in NO_SUCH_USER:
        return SendResult(Outcome.GONE, f"bounced: {error}")
    return SendResult(Outcome.REFUSED, error)
