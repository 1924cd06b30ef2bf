"""What the public pages, feeds and calendars show: only public appeals and cases."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from bot.services.appeals import Aged, AgedAppeal, AppealService, AppealShown, Protest
from bot.services.cases import CaseService, CaseSummary
from core.pseudonyms import Pseudonyms
from storage.database import Database
from storage.enums import AppealKind
from storage.records import appeal_record
from storage.repo.appeals import latest_followups, list_appeals
from storage.repo.public import content_stamp, last_change, public_appeal_ref, public_case_ref
from storage.standing import AgePolicy, Standing

# A change made by another process (the bot, `appealbot web` beside it) is seen this soon.
STAMP_AGE = 1.0
RECENT_PAST = 10  # past appeals the home page lists under the open ones
# A page's form token is good for this long (and one period more).
TOKEN_PERIOD = 6 * 3600
# At most this many protests are counted per appeal from one network address in a token
# period: enough for an office or a family behind one router, not for a script.
PROTESTS_PER_CLIENT = 20


@dataclass(frozen=True, slots=True)
class PageRef:
    """What a reference names: its id, and its slug (the page's stable address)."""

    id: int
    slug: str


@dataclass(frozen=True, slots=True)
class Home:
    """The home page: what asks for action now, then what did recently."""

    open: list[AgedAppeal]
    past: list[AgedAppeal]


@dataclass(frozen=True, slots=True)
class Listing:
    """Public appeals newest first, and when any of them last changed."""

    appeals: list[AgedAppeal]
    changed: datetime | None


class PublicService:
    """Read what anyone may see, for pages that may be shared with thousands."""

    def __init__(
        self,
        db: Database,
        *,
        ages: AgePolicy,
        appeals: AppealService,
        cases: CaseService,
        pseudonyms: Pseudonyms,
    ) -> None:
        self._db = db
        self._ages = ages
        self._appeals = appeals
        self._cases = cases
        self._pseudonyms = pseudonyms
        self._stamp = ""
        self._stamped = float("-inf")
        self._refreshing = asyncio.Lock()
        self._generation = 0  # of changes this process made
        self._read_generation = -1  # the generation the stamp was read in
        # Protests counted per (client, appeal) in this token period: in memory only.
        self._counted: Counter[tuple[str, int]] = Counter()
        self._counted_period = 0

    async def stamp(self) -> str:
        """Return a stamp that changes when anything public changes (read once a second).

        One request reads it; those that come meanwhile use the stamp of under a second ago
        instead of each queueing a read of their own (a shared link brings them at once),
        unless this process changed something since: then they wait for the new one.
        """
        if self._stamp_is_current():
            return self._stamp
        if self._refreshing.locked() and self._stamp and self._read_generation == self._generation:
            return self._stamp
        async with self._refreshing:
            if not self._stamp_is_current():
                generation = self._generation
                async with self._db.read() as session:
                    stamp = await content_stamp(session)
                # The day is part of it: standings (open, archived) change with the date.
                self._stamp = f"{stamp}@{self._ages.today()}"
                self._stamped = time.monotonic()
                self._read_generation = generation
        return self._stamp

    def _stamp_is_current(self) -> bool:
        return (
            time.monotonic() - self._stamped < STAMP_AGE
            and self._read_generation == self._generation
        )

    def now(self) -> datetime:
        """Return what time it is, by the service's one clock."""
        return self._ages.clock()

    def changed(self) -> None:
        """Make the next stamp read the database (after this process changed something)."""
        self._generation += 1

    def period(self) -> int:
        """Return the current token period (pages rendered in it carry its token)."""
        return int(self._ages.clock().timestamp() // TOKEN_PERIOD)

    def form_token(self, appeal_id: int, period: int | None = None) -> str:
        """Return the token an appeal page's protest form carries."""
        return self._pseudonyms.form_token(
            f"protest:{appeal_id}:{self.period() if period is None else period}"
        )

    def token_ok(self, appeal_id: int, token: str) -> bool:
        """Tell whether ``token`` is an appeal page's own, of this period or the last."""
        now = self.period()
        return any(
            hmac.compare_digest(token.encode(), self.form_token(appeal_id, period).encode())
            for period in (now, now - 1)
        )

    async def protest(self, appeal_id: int, *, browser: str, client: str) -> Protest | None:
        """Count a protest from an appeal's page once per browser; None when one network
        address has sent too many for this appeal already."""
        if self._counted_period != self.period():
            self._counted.clear()
            self._counted_period = self.period()
        key = (self._pseudonyms.client(client), appeal_id)
        if self._counted[key] >= PROTESTS_PER_CLIENT:
            return None
        protest = await self._appeals.protest_from_browser(appeal_id, browser=browser)
        if protest.counted:
            self._counted[key] += 1
            self.changed()
        return protest

    async def appeal_ref(self, reference: str) -> PageRef | None:
        """Return the public appeal a number or slug names."""
        async with self._db.read() as session:
            found = await public_appeal_ref(session, reference)
        return PageRef(*found) if found else None

    async def case_ref(self, reference: str) -> PageRef | None:
        """Return the public case a number or slug names."""
        async with self._db.read() as session:
            found = await public_case_ref(session, reference)
        return PageRef(*found) if found else None

    async def appeal(self, appeal_id: int) -> AppealShown | None:
        """Return a public appeal with its protests and standing."""
        return await self._appeals.show(appeal_id)

    async def case(self, case_id: int) -> CaseSummary | None:
        """Return a public case with its timeline and appeals."""
        return await self._cases.summary(case_id, chat_id=None)

    async def listing(self) -> Listing:
        """Return every public appeal, newest first, with its standing."""
        async with self._db.read() as session:
            appeals = [appeal_record(row) for row in await list_appeals(session)]
            followups = await latest_followups(session, [appeal.id for appeal in appeals])
            changed = await last_change(session)
        aged = [Aged(a, self._ages.of(a, followed_up=followups.get(a.id))) for a in appeals]
        return Listing(aged, changed)

    async def home(self) -> Home:
        """Return the open appeals (deadline first, then newest) and the recent past ones."""
        listing = (await self.listing()).appeals
        asking = [
            item
            for item in listing
            if item.age.is_open and item.appeal.kind is not AppealKind.OUTCOME
        ]
        asking.sort(key=lambda item: (item.age.deadline or date.max, _newest(item)))
        shown = {item.appeal.id for item in asking}
        past = [item for item in listing if item.appeal.id not in shown][:RECENT_PAST]
        return Home(asking, past)

    async def feed(self, *, country: str | None = None, case_id: int | None = None) -> Listing:
        """Return the public appeals of a feed: all, one country's, one case's."""
        listing = await self.listing()
        chosen = [
            item
            for item in listing.appeals
            if (country is None or any(c.country == country for c in item.appeal.cases))
            and (case_id is None or any(c.id == case_id for c in item.appeal.cases))
        ]
        return Listing(chosen, listing.changed)

    async def open_appeals(self) -> list[AgedAppeal]:
        """Return the public appeals that still ask for action (for the calendar)."""
        return [
            item
            for item in (await self.listing()).appeals
            if item.age.standing is not Standing.ARCHIVED
        ]


def _newest(item: AgedAppeal) -> int:
    issued = item.appeal.issued_on
    return -(issued.toordinal() if issued else 0)
