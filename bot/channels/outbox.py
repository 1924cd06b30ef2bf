"""What each claimed delivery says: its item resolved into a plain view (once per process
for a whole broadcast, by item and language), then rendered by its own channel (once per
channel, item, language and whether it goes to a mirror)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bot.channels import Channel
from bot.delivery.channels import Message
from bot.presentation.news import AdminNews, View
from bot.presentation.render import Presenter
from core.timing import Clock
from storage.database import Database
from storage.items import (
    AboutAppeal,
    AdminNotice,
    Confirmation,
    Digest,
    Item,
    ProgressMessage,
    Review,
    SourceTrouble,
)
from storage.records import appeal_record
from storage.repo.appeals import get_appeal, get_appeals
from storage.repo.broadcasts import broadcast_brief, progress_heading
from storage.repo.deliveries import Claimed, Recipient
from storage.repo.notices import bundled
from storage.repo.sources import draft_for_review, source_trouble
from storage.repo.subscribers import confirm_token_of, get_by_address
from templates.i18n import speaking


class Outbox:
    """Resolve claimed items into views and have their channels render them."""

    def __init__(
        self,
        presenter: Presenter,
        db: Database,
        channels: Mapping[str, Channel],
        *,
        clock: Clock,
    ) -> None:
        self._presenter = presenter
        self._db = db
        self._channels = channels
        self._clock = clock
        self._rendered_on: date | None = None
        self._views: dict[tuple[Item, str], View | None] = {}
        self._messages: dict[tuple[str, Item, str, bool], Message | None] = {}

    def prepare(self) -> None:
        """Get ready to render (compile templates), so the first message is not held up."""
        self._presenter.prepare()

    async def get(self, claimed: Claimed, recipient: Recipient | None) -> Message | None:
        """Return what a claimed delivery says on its channel (None: nothing to send)."""
        channel = self._channels.get(claimed.channel)
        item = claimed.item
        if (
            recipient is None
            or channel is None
            or item is None
            or type(item) not in channel.renders
        ):
            return None
        today = self._clock().date()
        if today != self._rendered_on:
            # A new day: countdowns ("3 days left") and standings move on.
            self._views.clear()
            self._messages.clear()
            self._rendered_on = today
        language = await self._language(claimed, item, recipient)
        mirror = recipient is not None and recipient.mirror
        key = (channel.name, item, language, mirror)
        if key in self._messages:
            return self._messages[key]
        view = await self._view(claimed, item, language)
        with speaking(language):
            message = None if view is None else channel.render(view, recipient)
        if isinstance(item, AboutAppeal):  # the same for every reader: kept for the broadcast
            self._messages[key] = message
        return message

    async def _language(self, claimed: Claimed, item: Item, recipient: Recipient) -> str:
        if recipient.subscriber_id is not None:
            return recipient.language
        if claimed.address is None:
            return "en"
        async with self._db.read() as session:
            if isinstance(item, ProgressMessage):
                # Whoever published follows the progress in the language they were answered in.
                heading = await progress_heading(session, item.broadcast_id)
                return heading[1] if heading is not None else "en"
            # An admin who also reads the bot has chosen a language; else English.
            reader = await get_by_address(session, claimed.channel, claimed.address)
        return reader.language if reader is not None else "en"

    async def _view(self, claimed: Claimed, item: Item, language: str) -> View | None:
        if isinstance(item, AboutAppeal):
            if (item, language) not in self._views:
                async with self._db.read() as session:
                    row = await get_appeal(session, item.appeal_id)
                    appeal = None if row is None else appeal_record(row)
                with speaking(language):
                    self._views[item, language] = (
                        None if appeal is None else self._presenter.news(appeal, item)
                    )
            return self._views[item, language]
        with speaking(language):
            return await self._one(claimed, item, language)

    async def _one(self, claimed: Claimed, item: Item, language: str) -> View | None:
        presenter = self._presenter
        async with self._db.read() as session:
            match item:
                case Digest(since):
                    rows = await get_appeals(session, await bundled(session, claimed.id))
                    appeals = [appeal_record(row) for row in rows]
                    return presenter.digest_news(appeals, since) if appeals else None
                case Confirmation():
                    if claimed.subscriber_id is None:
                        return None
                    token = await confirm_token_of(session, claimed.subscriber_id)
                    return None if token is None else presenter.confirm_news(token)
                case Review(item_id):
                    draft = await draft_for_review(session, item_id)
                    return None if draft is None else presenter.review_news(draft)
                case SourceTrouble(source_id):
                    # None: put right before the word went out.
                    trouble = await source_trouble(session, source_id)
                    return None if trouble is None else presenter.trouble_news(*trouble)
                case ProgressMessage(broadcast_id):
                    heading = await progress_heading(session, broadcast_id)
                    return None if heading is None else presenter.progress_news(heading[0])
                case AdminNotice(kind, subject, actor) if kind in ("added", "removed"):
                    return AdminNews(kind, actor, subject)
                case AdminNotice(kind, subject, actor):
                    brief = await broadcast_brief(session, subject)
                    if brief is None:
                        return None
                    appeal_id, title, readers = brief
                    return AdminNews(kind, actor, subject, appeal_id, title, readers)
        return None

    def forget(self, appeal_id: int) -> None:
        """Drop an appeal's views and messages (after it was edited or withdrawn)."""
        for view_key in [k for k in self._views if getattr(k[0], "appeal_id", None) == appeal_id]:
            del self._views[view_key]
        for key in [k for k in self._messages if getattr(k[1], "appeal_id", None) == appeal_id]:
            del self._messages[key]
