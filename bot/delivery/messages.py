"""What each delivery says, rendered by the presentation layer: an appeal once per process
for a whole broadcast (by channel rendering, purpose and language); a digest, a sign-up's
confirmation, an admin's review of a source's draft or the start of an admin's progress
message for its one reader."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol

from bot.delivery.channels import Message, Renders
from storage.database import Database
from storage.enums import DeliveryPurpose
from storage.models import Appeal
from storage.repo.appeals import get_appeal, get_appeals
from storage.repo.broadcasts import progress_heading
from storage.repo.deliveries import Claimed, Recipient
from storage.repo.notices import bundled
from storage.repo.sources import DraftForReview, draft_for_review, source_trouble
from storage.repo.subscribers import confirm_token_of, get_by_address
from storage.types import utcnow


class Renderer(Protocol):
    """What delivery asks the presentation layer to write."""

    def prepare_delivery(self) -> None:
        """Get ready to render (compile templates), so the first message is not held up."""

    def for_delivery(
        self,
        appeal: Appeal,
        renders: Renders,
        purpose: DeliveryPurpose,
        notice: str,
        late: bool,
        language: str,
        mirror: bool,
    ) -> Message | None:
        """Render an appeal for a channel's rendering, purpose, notice, lateness, reader's
        language and whether it goes to a mirror; None when there is nothing to say (a
        reminder of an event no longer in the appeal)."""

    def digest(self, appeals: Sequence[Appeal], since: date | None, language: str) -> Message:
        """Render a daily digest of these appeals since the day of the last one."""

    def confirmation(self, token: str, language: str) -> Message:
        """Render a sign-up's confirmation, its link carrying ``token``."""

    def progress_start(self, title: str, language: str) -> Message:
        """Render the first of an admin's progress message (edited as the broadcast goes)."""

    def source_trouble(self, source_id: int, feed_url: str, error: str, language: str) -> Message:
        """Render the word to admins that a followed source went wrong."""

    def review(self, draft: DraftForReview, language: str) -> Message | None:
        """Render a source's draft for an admin to review, with its buttons (None: it was
        taken or discarded since it was queued)."""


DIGEST_SINCE = "since:"


def digest_notice(since: date | None) -> str:
    """Return the notice a digest row carries: the day of the reader's last digest."""
    return DIGEST_SINCE + (since.isoformat() if since else "")


class MessageCache:
    """Rendered broadcasts by appeal, rendering, purpose and language: each rendered once."""

    def __init__(
        self,
        renderer: Renderer,
        db: Database,
        *,
        day: Callable[[], date] = lambda: utcnow().date(),
    ) -> None:
        self._renderer = renderer
        self._db = db
        self._day = day
        self._rendered_on: date | None = None
        self._cache: dict[tuple[object, ...], Message | None] = {}

    def prepare(self) -> None:
        """Get ready to render (compile templates), so the first message is not held up."""
        self._renderer.prepare_delivery()

    async def get(
        self, claimed: Claimed, recipient: Recipient | None, renders: Renders
    ) -> Message | None:
        """Return what a claimed delivery says (None if its appeal is gone)."""
        language = recipient.language if recipient is not None else "en"
        if claimed.purpose is DeliveryPurpose.DIGEST:
            return await self._digest(claimed, language)
        if claimed.purpose is DeliveryPurpose.CONFIRM:
            return await self._confirmation(claimed, language)
        if claimed.purpose is DeliveryPurpose.REVIEW:
            return await self._review(claimed)
        if claimed.purpose is DeliveryPurpose.PROGRESS:
            return await self._progress(claimed)
        if claimed.purpose is DeliveryPurpose.SOURCE:
            return await self._source_trouble(claimed)
        if claimed.appeal_id is None:
            return None
        today = self._day()
        if today != self._rendered_on:
            # A new day: countdowns ("3 days left") and standings move on.
            self._cache.clear()
            self._rendered_on = today
        mirror = recipient is not None and recipient.mirror
        key = (
            claimed.appeal_id,
            renders,
            claimed.purpose,
            claimed.notice,
            claimed.late,
            language,
            mirror,
        )
        if key not in self._cache:
            async with self._db.read() as session:
                appeal = await get_appeal(session, claimed.appeal_id)
            self._cache[key] = (
                None
                if appeal is None
                else self._renderer.for_delivery(
                    appeal,
                    renders,
                    claimed.purpose,
                    claimed.notice,
                    claimed.late,
                    language,
                    mirror,
                )
            )
        return self._cache[key]

    async def _digest(self, claimed: Claimed, language: str) -> Message | None:
        async with self._db.read() as session:
            appeals = await get_appeals(session, await bundled(session, claimed.id))
        if not appeals:
            return None
        since = claimed.notice.removeprefix(DIGEST_SINCE)
        return self._renderer.digest(
            appeals, date.fromisoformat(since) if since else None, language
        )

    async def _confirmation(self, claimed: Claimed, language: str) -> Message | None:
        if claimed.subscriber_id is None:
            return None
        async with self._db.read() as session:
            token = await confirm_token_of(session, claimed.subscriber_id)
        return None if token is None else self._renderer.confirmation(token, language)

    async def _review(self, claimed: Claimed) -> Message | None:
        if not claimed.notice.isdigit() or claimed.address is None:
            return None
        async with self._db.read() as session:
            draft = await draft_for_review(session, int(claimed.notice))
            # An admin who also reads the bot has chosen a language; else English.
            reader = await get_by_address(session, claimed.channel, claimed.address)
        if draft is None:
            return None
        return self._renderer.review(draft, reader.language if reader is not None else "en")

    async def _source_trouble(self, claimed: Claimed) -> Message | None:
        if not claimed.notice.isdigit() or claimed.address is None:
            return None
        async with self._db.read() as session:
            trouble = await source_trouble(session, int(claimed.notice))
            reader = await get_by_address(session, claimed.channel, claimed.address)
        if trouble is None:
            return None  # put right before the word went out
        return self._renderer.source_trouble(*trouble, reader.language if reader else "en")

    async def _progress(self, claimed: Claimed) -> Message | None:
        if not claimed.notice.isdigit():
            return None
        async with self._db.read() as session:
            heading = await progress_heading(session, int(claimed.notice))
        return None if heading is None else self._renderer.progress_start(*heading)

    def forget(self, appeal_id: int) -> None:
        """Drop an appeal's rendered messages (after it was edited or withdrawn)."""
        for key in [key for key in self._cache if key[0] == appeal_id]:
            del self._cache[key]
