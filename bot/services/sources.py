"""Sources: publishers' feeds that admins follow; each new item that is an appeal becomes a
draft that every admin is sent to review (through the outbox). Nothing is published without
an admin: one of them takes the draft into their own review, or discards it."""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from bot.extract.draft import DraftData, extract_draft
from bot.extract.feeds import Item, read_feed
from bot.extract.fetch import FetchOptions, fetch_page
from bot.services.actors import Actor
from bot.services.admins import AdminService
from bot.services.appeal_writer import AppealWriter
from bot.services.case_index import CaseIndex
from bot.services.delivery_signals import DeliverySignals
from core.errors import ExtractionError, FetchError, UsageError
from core.timing import Clock
from storage.database import Database, Unit
from storage.enums import ItemOutcome, SourceState
from storage.items import Review, SourceTrouble
from storage.models import Source, SourceItem
from storage.repo.audit import log_action
from storage.repo.deliveries import queue_direct
from storage.repo.sources import (
    active_sources,
    drafted_fingerprint,
    list_sources,
    seen_keys,
    settle_draft,
    source_by_url,
)
from templates.i18n import N_

SHORT_TEXT = 400  # an item shorter than this is a teaser: its page is read instead
GONE_STATUSES = (404, 410)
BACK_OFF_AT_MOST = timedelta(days=1)
NOT_AN_APPEAL = "not an appeal: no one to write to and no demand"


class SourceChange(StrEnum):
    """What an admin may do to a followed source."""

    REMOVE = "remove"
    PAUSE = "pause"
    RESUME = "resume"


CHANGED_TO = {
    SourceChange.REMOVE: None,
    SourceChange.PAUSE: SourceState.PAUSED,
    SourceChange.RESUME: SourceState.ACTIVE,
}


MALFORMED = N_("The feed is malformed (%(reason)s); the items read before it are kept.")


@dataclass(frozen=True, slots=True)
class SourceShown:
    """A followed feed, as admins see it."""

    id: int
    url: str
    feed_url: str
    title: str | None
    state: str
    checked_at: datetime | None
    seen: int
    drafts: int
    skipped: int
    error: str | None

    @property
    def where(self) -> str:
        """Return where the feed is, without its scheme: its host and path."""
        parts = urlsplit(self.feed_url)
        return f"{parts.netloc}{parts.path}".rstrip("/")


@dataclass
class Polled:
    """What one poll of one source found."""

    source_id: int
    drafts: list[int] = field(default_factory=list)  # the items drafted, for admins to review
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (title, why)
    duplicates: int = 0
    unchanged: bool = False
    error: str | None = None


def _shown(source: Source) -> SourceShown:
    return SourceShown(
        source.id,
        source.url,
        source.feed_url,
        source.title,
        source.state.value,
        source.checked_at,
        source.seen,
        source.drafts,
        source.skipped,
        source.error,
    )


def fingerprint(data: DraftData, text: str) -> str:
    """Return what two publishers' copies of one appeal share: whom to write to and about
    whom, else the start of the text."""
    emails = sorted({email.lower() for target in data.targets for email in target.emails})
    if emails:
        basis = "|".join([*emails, *(case.name.lower() for case in data.cases)])
    else:
        basis = re.sub(r"\W+", "", text.lower())[:400]
    return hashlib.sha256(basis.encode()).hexdigest()


def is_appeal(data: DraftData) -> bool:
    """Tell whether a draft asks for action: someone to write to, or a demand."""
    reachable = any(t.emails or t.faxes or t.phones or t.postal_address for t in data.targets)
    return reachable or bool(data.demands)


async def _audit(unit: Unit, actor: Actor, action: str, subject: str) -> None:
    await log_action(
        unit.session,
        actor=actor.label,
        actor_id=actor.user_id,
        action=action,
        subject=subject,
        detail={},
    )


@dataclass(frozen=True, slots=True)
class Drafted:
    """What one new item became."""

    outcome: ItemOutcome
    fingerprint: str
    reason: str | None = None
    data: DraftData | None = None
    case_id: int | None = None  # a known case it is about: offered as its update


class SourceService:
    """Follow feeds and draft appeals from their new items."""

    def __init__(
        self,
        db: Database,
        *,
        index: CaseIndex,
        writer: AppealWriter,
        admins: AdminService,
        delivery: DeliverySignals,
        fetch_options: FetchOptions,
        clock: Clock,
        admins_on: str | None,
        every: timedelta = timedelta(minutes=15),
    ) -> None:
        self._db = db
        self._index = index
        self._writer = writer
        self._admins = admins
        self._delivery = delivery
        self._fetch = fetch_options
        self._clock = clock
        self._admins_on = admins_on  # the channel admins review drafts in
        self._every = every

    async def add(self, url: str, *, actor: Actor) -> SourceShown:
        """Follow a feed, or the feed a site page names; refuse what is not one."""
        url = url.strip()
        if not re.match(r"https?://\S+$", url) or len(url) > 2000:
            raise UsageError(N_("A source is an http:// or https:// address of a feed or page."))
        async with self._db.read() as session:
            known = await source_by_url(session, url)
        if known is None:
            feed = await read_feed(url, self._fetch)
            async with self._db.read() as session:
                # A site's page names a feed that is followed already: one source, not two.
                known = await source_by_url(session, feed.url)
        if known is not None:
            raise UsageError(N_("That feed is followed already, as source %(id)s."), id=known.id)
        async with self._db.unit() as unit:
            source = Source(url=url, feed_url=feed.url, title=(feed.title or "")[:300] or None)
            unit.session.add(source)
            await unit.session.flush()
            await _audit(unit, actor, "source-add", f"source:{source.id}")
            return _shown(source)

    async def followed(self) -> list[SourceShown]:
        """Return every source with its figures."""
        async with self._db.read() as session:
            return [_shown(source) for source in await list_sources(session)]

    async def change(self, source_id: int, change: SourceChange, *, actor: Actor) -> bool:
        """Remove (the drafts it made stay), pause or resume (a paused or gone) source;
        False if there is none."""
        state = CHANGED_TO[change]
        action = f"source-{change.value}"
        async with self._db.unit() as unit:
            source = await unit.session.get(Source, source_id)
            if source is None:
                return False
            if state is None:
                await unit.session.delete(source)
            else:
                source.state, source.failures = state, 0
            await _audit(unit, actor, action, f"source:{source_id}")
            return True

    async def discard(self, item_id: int, *, actor: Actor) -> bool:
        """Throw away a source's draft nobody has taken yet; False if it is no longer there."""
        async with self._db.unit() as unit:
            if await settle_draft(unit.session, item_id, ItemOutcome.DISCARDED) is None:
                return False
            await _audit(unit, actor, "source-draft-discard", f"source-item:{item_id}")
            return True

    async def poll(self, *, only_due: bool = False) -> list[Polled]:
        """Poll every active source once (``only_due``: those whose time has come; after
        failures, twice as long each time, at most a day), side by side: a slow one holds up
        no other."""
        now = self._clock()
        async with self._db.read() as session:
            sources = [
                (s.id, s.feed_url, s.etag, s.modified)
                for s in await active_sources(session)
                if not only_due or self._due(s, now)
            ]
        return list(await asyncio.gather(*(self._poll_one(*source) for source in sources)))

    def _due(self, source: Source, now: datetime) -> bool:
        if source.checked_at is None:
            return True
        wait = min(self._every * 2 ** min(source.failures, 10), BACK_OFF_AT_MOST)
        # A little early is on time: the job's ticks and the checks drift by seconds.
        return bool(now - source.checked_at >= wait - timedelta(seconds=30))

    async def _poll_one(
        self, source_id: int, feed_url: str, etag: str | None, modified: str | None
    ) -> Polled:
        polled = Polled(source_id)
        try:
            feed = await read_feed(feed_url, self._fetch, etag=etag, modified=modified)
        except FetchError as exc:
            polled.error = str(exc)
            await self._failed(source_id, str(exc), gone=exc.params.get("status") in GONE_STATUSES)
            return polled
        if feed.unchanged:
            polled.unchanged = True
            await self._checked(source_id, etag, modified)
            return polled
        async with self._db.read() as session:
            seen = await seen_keys(session, source_id, [item.key for item in feed.items])
        fresh: list[Item] = []
        for item in feed.items:
            if item.key not in seen and item.key not in {i.key for i in fresh}:
                fresh.append(item)
        texts = [await self._text_of(item) for item in fresh]
        admins = [str(user_id) for user_id, __ in await self._admins.all_admins()]
        async with self._db.unit() as unit:
            session = unit.session
            await self._index.refresh(session)
            for item, text in zip(fresh, texts, strict=True):
                drafted = await self._draft(unit, item, text)
                row = SourceItem(
                    source_id=source_id,
                    key=item.key,
                    fingerprint=drafted.fingerprint,
                    outcome=drafted.outcome,
                    reason=drafted.reason,
                    data=drafted.data.model_dump(mode="json") if drafted.data else None,
                    case_id=drafted.case_id,
                )
                session.add(row)
                await session.flush()  # the next item sees this one's fingerprint
                if drafted.outcome is ItemOutcome.DRAFT:
                    polled.drafts.append(row.id)
                elif drafted.outcome is ItemOutcome.DUPLICATE:
                    polled.duplicates += 1
                else:
                    polled.skipped.append((item.title, drafted.reason or ""))
            source = await session.get(Source, source_id)
            if source is not None:
                told_before = source.error
                source.seen += len(fresh)
                source.drafts += len(polled.drafts)
                source.skipped += len(polled.skipped) + polled.duplicates
                source.etag, source.modified = feed.etag, feed.modified
                source.checked_at, source.failures = self._clock(), 0
                # Stored as said, like a fetch's error: a malformed feed keeps what it gave.
                source.error = MALFORMED % {"reason": feed.malformed} if feed.malformed else None
                source.title = source.title or feed.title
                if source.error and source.error != told_before:
                    await self._tell_of_trouble(unit, source_id, admins)
            await self._tell_admins(unit, polled.drafts, admins)
        return polled

    async def _text_of(self, item: Item) -> str:
        """Return an item's text: its own, or its page's when the feed holds a teaser."""
        text = item.text
        if len(text) < SHORT_TEXT and item.link:
            try:
                page = await fetch_page(item.link, self._fetch)
            except FetchError:
                pass  # the teaser is read as it is
            else:
                text = page.text
        return f"{item.title}\n\n{text}" if item.title and not text.startswith(item.title) else text

    async def _draft(self, unit: Unit, item: Item, text: str) -> Drafted:
        try:
            data = extract_draft(
                text, today=self._clock().date(), index=self._index, source_url=item.link
            )
        except ExtractionError as exc:
            mark = hashlib.sha256(text.encode()).hexdigest()
            return Drafted(ItemOutcome.SKIPPED, mark, str(exc)[:200])
        mark = fingerprint(data, text)
        if not is_appeal(data):
            return Drafted(ItemOutcome.SKIPPED, mark, NOT_AN_APPEAL)
        earlier = await drafted_fingerprint(unit.session, mark)
        if earlier is not None:
            return Drafted(ItemOutcome.DUPLICATE, mark, f"the same appeal as item {earlier}")
        if data.issued_on is None and item.published is not None:
            # The text has no date of its own: the feed item's is the next best, and the
            # dates it gives without a year are read against it.
            data.date_it(item.published)
        data.cases = await self._writer.main_names(unit.session, data.cases)
        known = next((ref.id for ref in data.cases if ref.id is not None), None)
        return Drafted(ItemOutcome.DRAFT, mark, data=data, case_id=known)

    async def _tell_admins(self, unit: Unit, item_ids: list[int], chats: list[str]) -> None:
        """Queue each new draft's review to every admin's private chat with the bot."""
        if not item_ids or not chats or self._admins_on is None:
            return
        for item_id in item_ids:
            await queue_direct(
                unit.session,
                channel=self._admins_on,
                addresses=chats,
                item=Review(item_id),
                now=self._clock(),
            )
        unit.after_commit(self._delivery.wake)

    async def _tell_of_trouble(self, unit: Unit, source_id: int, chats: list[str]) -> None:
        """Queue a word to every admin that a source went wrong (once: not at each poll)."""
        if not chats or self._admins_on is None:
            return
        await queue_direct(
            unit.session,
            channel=self._admins_on,
            addresses=chats,
            item=SourceTrouble(source_id),
            now=self._clock(),
        )
        unit.after_commit(self._delivery.wake)

    async def _failed(self, source_id: int, error: str, *, gone: bool) -> None:
        async with self._db.unit() as unit:
            source = await unit.session.get(Source, source_id)
            if source is not None:
                source.error, source.checked_at = error[:2000], self._clock()
                source.failures += 1
                if gone:
                    source.state = SourceState.GONE

    async def _checked(self, source_id: int, etag: str | None, modified: str | None) -> None:
        async with self._db.unit() as unit:
            source = await unit.session.get(Source, source_id)
            if source is not None:
                source.checked_at, source.error, source.failures = self._clock(), None, 0
