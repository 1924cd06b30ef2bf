"""Email subscriptions: sign up, confirm (double opt-in), unsubscribe in one click.

Whatever happens, a sign-up gets the same answer, so nobody can learn whether an address is
on the list. Limits per sender (an IP address, a Telegram chat), per address, and over all
keep a burst of sign-ups from turning the bot into a mail cannon.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.delivery_signals import DeliverySignals
from core.errors import BadInputError
from core.pseudonyms import Pseudonyms
from core.timing import Clock, zone_named
from storage.database import Database
from storage.enums import SubscriberState
from storage.items import Confirmation
from storage.models import Subscriber
from storage.repo.cases import list_countries, list_open_cases
from storage.repo.deliveries import queue_to_subscribers
from storage.repo.notices import release_held
from storage.repo.subscribers import (
    forget,
    get_by_confirm_token,
    get_by_unsubscribe_token,
    retire,
    set_filters,
    sign_up_email,
)
from templates.i18n import LANGUAGES, N_

log = logging.getLogger(__name__)
CONFIRM_FOR = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class EmailSettings:
    """What an address receives: every appeal or urgent ones only, from which countries
    (none chosen: every country), and the cases it follows whatever its other choices."""

    urgent_only: bool
    digest: bool
    countries: tuple[str, ...] = ()
    followed: tuple[int, ...] = ()
    digest_hour: int = 8  # when the daily digest comes, in ``timezone`` (else UTC)
    timezone: str | None = None
    language: str = "en"


@dataclass(frozen=True, slots=True)
class EmailChoices:
    """What an address could choose from: the countries and open cases the public sees."""

    countries: tuple[str, ...]
    cases: tuple[tuple[int, str], ...]


class SignUp(StrEnum):
    ASKED = "asked"  # the same answer whatever happened
    LATER = "later"  # the same, when confirmations are over their budget: they wait their turn
    SLOW_DOWN = "slow_down"  # too many sign-ups from this sender: try later
    NO_EMAIL = "no_email"  # this service sends no email


@dataclass
class Quota:
    """At most ``limit`` events per ``seconds`` for each key."""

    limit: int
    seconds: float
    _events: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def allow(self, key: str, now: float) -> bool:
        """Count an event for ``key``, or refuse it when the window is full."""
        events = self._events[key]
        while events and events[0] <= now - self.seconds:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        self._tidy(now)
        return True

    def reserve(self, key: str, now: float) -> float:
        """Take the first free place for ``key`` from ``now`` on; return when it is (``now``,
        or later when the window is full: each one after the last, none dropped)."""
        events = self._events[key]
        while events and events[0] <= now - self.seconds:
            events.popleft()
        at = now if len(events) < self.limit else events[-self.limit] + self.seconds
        events.append(max(at, events[-1] if events else at))
        return events[-1]

    def _tidy(self, now: float) -> None:
        if len(self._events) > 10_000:
            for stale in [
                k for k, v in self._events.items() if not v or v[-1] <= now - self.seconds
            ]:
                del self._events[stale]


def mailbox(address: str) -> str:
    """Return the mailbox an address reaches: lower-cased, without its "+tag"
    ("Victim+2@example.org" is victim@example.org's), for counting sign-ups to it."""
    local, _at, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


@dataclass(frozen=True, slots=True)
class SignUpLimits:
    per_sender: Quota = field(default_factory=lambda: Quota(5, 3600))
    per_address: Quota = field(default_factory=lambda: Quota(2, 86_400))
    overall: Quota = field(default_factory=lambda: Quota(60, 60))


class EmailService:
    """Sign addresses up, confirm them, unsubscribe them."""

    def __init__(
        self,
        db: Database,
        *,
        enabled: bool,
        channel: str,
        delivery: DeliverySignals,
        check_deliverability: bool = True,
        limits: SignUpLimits | None = None,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
        pseudonyms: Pseudonyms | None = None,
    ) -> None:
        self._db = db
        self._pseudonyms = pseudonyms
        self._enabled = enabled
        self._channel = channel  # what email readers are stored under
        self._delivery = delivery
        self._check = check_deliverability
        self._limits = limits or SignUpLimits()
        self._clock = clock
        self._monotonic = monotonic

    async def _reader(
        self, session: AsyncSession, token: str, *, active: bool = True
    ) -> Subscriber | None:
        """Return the email reader a link's token belongs to (``active``: only one subscribed)."""
        subscriber = await get_by_unsubscribe_token(session, token)
        if subscriber is None or subscriber.channel != self._channel:
            return None
        if active and subscriber.state is not SubscriberState.ACTIVE:
            return None
        return subscriber

    @property
    def enabled(self) -> bool:
        """Tell whether email can be sent at all."""
        return self._enabled

    async def normalise(self, address: str) -> str:
        """Return the address in the form the relay takes (a domain in other scripts written
        in ASCII), or raise BadInputError saying why it cannot be used."""
        address = address.strip()
        if not address.rpartition("@")[0].isascii():
            # Such an address needs SMTPUTF8 all along its way, which few relays offer.
            raise BadInputError(
                N_(
                    "Appeals cannot be sent to an address with letters other than Latin "
                    "before the @. Please give another address."
                )
            )
        try:
            # The deliverability check asks DNS: off the event loop.
            valid = await asyncio.to_thread(
                validate_email, address, check_deliverability=self._check, allow_smtputf8=False
            )
        except EmailNotValidError:
            raise BadInputError(
                N_("That does not look like an email address that can receive mail.")
            ) from None
        # One mailbox, one subscriber: "Victim@…" and "victim@…" are the same reader.
        return (valid.ascii_email or valid.normalized).lower()

    async def sign_up(
        self,
        address: str,
        *,
        sender_key: str,
        language: str = "en",
        urgent_only: bool = False,
        chat_id: int | None = None,
    ) -> SignUp:
        """Sign an address up and queue its confirmation link (see the module's promise).

        The confirmation goes out through the outbox, in its priority lane: the answer never
        waits for the relay, so it takes as long whether the address is on the list or not.
        """
        if not self._enabled:
            return SignUp.NO_EMAIL
        now = self._monotonic()
        if not self._limits.per_sender.allow(sender_key, now):
            return SignUp.SLOW_DOWN
        email = await self.normalise(address)
        if not self._limits.per_address.allow(mailbox(email), now):
            return SignUp.ASKED
        async with self._db.unit() as unit:
            subscriber, new = await sign_up_email(
                unit.session,
                channel=self._channel,
                email=email,
                language=language,
                now=self._clock(),
            )
            if new:
                subscriber.urgent_only = urgent_only
            if chat_id is not None and self._pseudonyms is not None and not subscriber.confirmed_at:
                # A chat's /forget takes the sign-up it asked for (by a keyed hash, not its id).
                subscriber.requested_by = self._pseudonyms.requester(chat_id)
            waiting = subscriber.state is SubscriberState.PENDING and subscriber.confirm_token
            # Every sign-up takes a place in the budget, on the list or not: the answer (and
            # how long it says it may take) tells nobody who is on it.
            wait = self._limits.overall.reserve("all", now) - now
            if waiting:
                # Over the budget, a confirmation waits its turn in the outbox: none is lost.
                started = self._clock()
                await queue_to_subscribers(
                    unit.session,
                    [(Confirmation(), subscriber.id, subscriber.channel)],
                    now=started,
                    priority=0,
                    after=max(0.0, wait),
                )
                unit.after_commit(self._delivery.wake)
        return SignUp.LATER if wait > 0 else SignUp.ASKED

    async def awaiting(self, token: str) -> bool:
        """Tell whether a confirmation link belongs to a sign-up still waiting for it (and
        still valid); changes nothing."""
        async with self._db.read() as session:
            subscriber = await get_by_confirm_token(session, token)
            return (
                subscriber is not None
                and subscriber.state is SubscriberState.PENDING
                and self._clock() - subscriber.created_at <= CONFIRM_FOR
            )

    async def confirm(self, token: str) -> bool:
        """Confirm a sign-up by its link; return whether it was one (and still valid)."""
        async with self._db.unit() as unit:
            subscriber = await get_by_confirm_token(unit.session, token)
            if subscriber is None or subscriber.state is not SubscriberState.PENDING:
                return False
            if self._clock() - subscriber.created_at > CONFIRM_FOR:
                return False
            subscriber.state = SubscriberState.ACTIVE
            subscriber.confirm_token = None
            subscriber.requested_by = None  # the mailbox's own now, not the chat's
            subscriber.confirmed_at = self._clock()
            return True

    async def knows(self, token: str) -> bool:
        """Tell whether a link belongs to a subscribed address; changes nothing."""
        async with self._db.read() as session:
            return await self._reader(session, token) is not None

    async def knows_any(self, token: str) -> bool:
        """Tell whether a link belongs to any row of an address, even one that left;
        changes nothing."""
        async with self._db.read() as session:
            return await self._reader(session, token, active=False) is not None

    async def unsubscribe(self, token: str) -> bool:
        """Unsubscribe the address an unsubscribe link belongs to; return whether it did."""
        async with self._db.unit() as unit:
            subscriber = await self._reader(unit.session, token, active=False)
            if subscriber is None:
                return False
            if subscriber.state is SubscriberState.UNSUBSCRIBED:
                return True
            await retire(unit.session, [subscriber.id], SubscriberState.UNSUBSCRIBED)
            return True

    async def forget(self, token: str) -> bool:
        """Delete an address and everything about it, by a link in its emails."""
        async with self._db.unit() as unit:
            subscriber = await self._reader(unit.session, token, active=False)
            if subscriber is None:
                return False
            return await forget(unit.session, subscriber.id)

    async def settings(self, token: str) -> tuple[EmailSettings, EmailChoices] | None:
        """Return what a subscribed address receives, and what it could choose from."""
        async with self._db.read() as session:
            subscriber = await self._reader(session, token)
            if subscriber is None:
                return None
            current = EmailSettings(
                urgent_only=subscriber.urgent_only,
                digest=subscriber.digest,
                countries=tuple(subscriber.countries),
                followed=tuple(case.id for case in subscriber.followed),
                digest_hour=subscriber.digest_hour,
                timezone=subscriber.timezone,
                language=subscriber.language,
            )
            choices = EmailChoices(
                countries=tuple(await list_countries(session)),
                cases=tuple((case.id, case.name) for case in await list_open_cases(session)),
            )
            return current, choices

    async def change(self, token: str, wanted: EmailSettings) -> bool:
        """Change what a subscribed address receives; return whether the link was good.

        Only countries and cases the public can see are kept, and only real time zones.
        Leaving the digest sends what it held at once.
        """
        async with self._db.unit() as unit:
            session = unit.session
            subscriber = await self._reader(session, token)
            if subscriber is None:
                return False
            known = set(await list_countries(session))
            public = {case.id: case for case in await list_open_cases(session)}
            subscriber.urgent_only = wanted.urgent_only
            if subscriber.digest and not wanted.digest:
                await release_held(session, subscriber.id)
            subscriber.digest = wanted.digest
            if 0 <= wanted.digest_hour <= 23:
                subscriber.digest_hour = wanted.digest_hour
            if wanted.language in LANGUAGES:
                subscriber.language = wanted.language
            zone = zone_named(wanted.timezone)
            if zone is not None:
                subscriber.timezone = zone.key
            await set_filters(
                session,
                subscriber,
                countries=[code for code in wanted.countries if code in known],
                cases=[public[case_id] for case_id in wanted.followed if case_id in public],
            )
            return True
