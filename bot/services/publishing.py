"""Publishing: an appeal goes live and is queued for every subscriber who wants it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.actors import Actor
from bot.services.case_index import CaseIndex
from bot.services.delivery_signals import DeliverySignals
from core.errors import BadInputError, NotFoundError
from core.timing import Clock
from storage.database import Database, Unit
from storage.enums import AppealStatus, DeliveryState, Urgency
from storage.items import AdminNotice, ProgressMessage
from storage.repo.admins import stored_admins
from storage.repo.appeals import ancestors, get_appeal
from storage.repo.audit import log_action
from storage.repo.broadcasts import ensure_broadcast, get_broadcast, reopen
from storage.repo.deliveries import (
    cancel_pending,
    count_for_appeal,
    fan_out,
    hold_for_confirmation,
    queue_direct,
    queue_withdrawals,
    release_confirmed,
    requeue_failed,
    state_counts,
)
from templates.i18n import N_, current


@dataclass(frozen=True, slots=True)
class Published:
    appeal_id: int
    broadcast_id: int
    queued: int
    total: int
    awaiting: bool = False  # held until a second admin confirms it


@dataclass(frozen=True, slots=True)
class Confirmed:
    appeal_id: int
    released: int
    started_by: int | None


@dataclass(frozen=True, slots=True)
class Withdrawn:
    appeal_id: int
    title: str
    cancelled: int
    already_sent: int


class PublishingService:
    """Publish, re-queue and withdraw appeals; the delivery engine hears of it after commit."""

    def __init__(
        self,
        db: Database,
        *,
        delivery: DeliverySignals,
        index: CaseIndex,
        channels: Sequence[str],
        paid: bool,
        clock: Clock,
        withdrawing: Sequence[str] = (),
        admins_on: str | None = None,
        second_admin_above: int | None = None,
        configured_admins: Collection[int] = (),
    ) -> None:
        self._db = db
        self._delivery = delivery
        self._index = index
        self.channels = tuple(channels)
        self.paid = paid
        self._clock = clock
        # Channels that take back what they got when an appeal is withdrawn (webhooks).
        self._withdrawing = tuple(withdrawing)
        self._admins_on = admins_on  # the channel admins follow a broadcast in
        # A broadcast by an admin to more readers than this waits for another admin.
        self._second_above = second_admin_above
        self._configured = frozenset(configured_admins)

    async def publish(
        self,
        appeal_id: int,
        *,
        actor: Actor,
        progress_chat_id: int | None = None,
        confirm_summary: bool = False,
    ) -> Published:
        """Publish a draft (or re-queue a published appeal) and fan it out to subscribers.

        A draft whose summary is still pasted text needs ``confirm_summary``.
        """
        async with self._db.unit() as unit:
            return await self.publish_in(
                unit,
                appeal_id,
                actor=actor,
                progress_chat_id=progress_chat_id,
                confirm_summary=confirm_summary,
            )

    async def publish_in(
        self,
        unit: Unit,
        appeal_id: int,
        *,
        actor: Actor,
        progress_chat_id: int | None = None,
        confirm_summary: bool = False,
    ) -> Published:
        """Publish within another unit of work (a draft saved, an outcome recorded).

        Every matching subscriber gets one delivery row per channel; running this again adds
        rows only for subscribers who joined since, so nobody gets the appeal twice.
        """
        session = unit.session
        appeal = await get_appeal(session, appeal_id)
        if appeal is None:
            raise NotFoundError(N_("There is no appeal %(id)s."), id=appeal_id)
        if appeal.status is AppealStatus.WITHDRAWN:
            raise BadInputError(
                N_("Appeal %(id)s was withdrawn; it cannot be broadcast."), id=appeal_id
            )
        now = self._clock()
        if appeal.status is AppealStatus.DRAFT:
            if appeal.issued_on is None:
                raise BadInputError(
                    N_(
                        "Appeal %(id)s has no date of its own, so the year of its dates is "
                        "unknown: add its date as a line of its own (such as “May 2011”) at "
                        "the end of the text and import it again."
                    ),
                    id=appeal_id,
                )
            if appeal.summary_pasted and not confirm_summary:
                raise BadInputError(
                    N_(
                        "The summary of appeal %(id)s is still the pasted text; rewrite it, "
                        "or publish it as it is with --confirm-summary."
                    ),
                    id=appeal_id,
                )
            appeal.summary_pasted = False
            appeal.status = AppealStatus.PUBLISHED
            appeal.published_at = now
            await session.flush()
        # Mirrors (a Telegram channel, a Matrix room) are subscribers that get everything
        # published, in the lane that goes first: one post reaches all their members.
        queued = await fan_out(
            session,
            appeal_id=appeal.id,
            case_ids=[case.id for case in appeal.cases],
            countries=sorted({case.country for case in appeal.cases}),
            urgent=appeal.urgency is Urgency.URGENT,
            now=now,
            channels=self.channels,
            follows_up=await ancestors(session, appeal),
        )
        broadcast = await ensure_broadcast(
            session,
            appeal_id=appeal.id,
            started_by=actor.user_id,
            progress_chat_id=progress_chat_id,
            paid=self.paid,
            now=now,
            # Whoever publishes follows the progress: in the language they are answered in.
            progress_language=current(),
        )
        total = await count_for_appeal(session, appeal.id)
        broadcast.total = total
        if queued:
            broadcast.finished_at = None
        admins_on = self._admins_on
        awaiting = await self._hold_if_large(session, actor, appeal.id, broadcast.id, queued, now)
        if awaiting:
            await self._audit(session, actor, "broadcast held", appeal.id, queued=queued)
        elif progress_chat_id is not None and broadcast.finished_at is None and admins_on:
            # The admin's progress message goes out like every message (the job edits it).
            await queue_direct(
                session,
                channel=admins_on,
                addresses=[str(progress_chat_id)],
                item=ProgressMessage(broadcast.id),
                now=now,
            )
        await self._audit(session, actor, "broadcast", appeal.id, queued=queued, total=total)
        unit.after_commit(self._delivery.wake)
        unit.after_commit(self._index.invalidate)
        return Published(appeal.id, broadcast.id, queued, total, awaiting)

    async def _hold_if_large(
        self,
        session: AsyncSession,
        actor: Actor,
        appeal_id: int,
        broadcast_id: int,
        queued: int,
        now: datetime,
    ) -> bool:
        """Hold a large broadcast by an admin until another admin confirms it; tell them."""
        limit = self._second_above
        if limit is None or actor.user_id is None or queued <= limit:
            return False
        others = [
            admin
            for admin in sorted(self._configured | set(await stored_admins(session)))
            if admin != actor.user_id
        ]
        if not others or self._admins_on is None:
            raise BadInputError(
                N_(
                    "A broadcast to more than %(limit)s readers needs a second admin to "
                    "confirm it, and there is no other admin: add one with /admins add."
                ),
                limit=limit,
            )
        await hold_for_confirmation(session, appeal_id)
        await queue_direct(
            session,
            channel=self._admins_on,
            addresses=[str(admin) for admin in others],
            item=AdminNotice("confirm", broadcast_id, actor.user_id),
            now=now,
        )
        return True

    async def confirm(self, broadcast_id: int, *, actor: Actor) -> Confirmed:
        """Let a held broadcast go out, as a second admin (not the one who started it)."""
        async with self._db.unit() as unit:
            session = unit.session
            broadcast = await get_broadcast(session, broadcast_id)
            if broadcast is None:
                raise NotFoundError(N_("There is no such broadcast."))
            if actor.user_id is None or actor.user_id == broadcast.started_by:
                raise BadInputError(
                    N_("Another admin must confirm this broadcast: you started it.")
                )
            released = await release_confirmed(session, broadcast.appeal_id)
            if not released:
                raise BadInputError(
                    N_("This broadcast waits for nobody: it was confirmed or withdrawn.")
                )
            await log_action(
                session,
                actor=actor.label,
                actor_id=actor.user_id,
                action="broadcast confirmed",
                subject=f"appeal:{broadcast.appeal_id}",
                detail={"started_by": broadcast.started_by, "released": released},
            )
            now = self._clock()
            if self._admins_on is not None and broadcast.started_by is not None:
                await queue_direct(
                    session,
                    channel=self._admins_on,
                    addresses=[str(broadcast.started_by)],
                    item=AdminNotice("confirmed", broadcast.id, actor.user_id),
                    now=now,
                )
            if self._admins_on is not None and broadcast.progress_chat_id is not None:
                await queue_direct(
                    session,
                    channel=self._admins_on,
                    addresses=[str(broadcast.progress_chat_id)],
                    item=ProgressMessage(broadcast.id),
                    now=now,
                )
            unit.after_commit(self._delivery.wake)
            return Confirmed(broadcast.appeal_id, released, broadcast.started_by)

    async def retry_failed(self, appeal_id: int, *, actor: Actor) -> int:
        """Queue the failed deliveries of a published appeal again; return how many."""
        async with self._db.unit() as unit:
            appeal = await get_appeal(unit.session, appeal_id)
            if appeal is None:
                raise NotFoundError(N_("There is no appeal %(id)s."), id=appeal_id)
            if appeal.status is not AppealStatus.PUBLISHED:
                raise BadInputError(
                    N_("Appeal %(id)s is not published; nothing to retry."), id=appeal_id
                )
            requeued = await requeue_failed(unit.session, appeal_id)
            if requeued:
                await reopen(unit.session, appeal_id)
                unit.after_commit(self._delivery.wake)
            await self._audit(unit.session, actor, "retry failed", appeal_id, requeued=requeued)
        return requeued

    async def withdraw(self, appeal_id: int, *, actor: Actor) -> Withdrawn:
        """Unpublish an appeal and cancel every delivery of it that has not gone out."""
        async with self._db.unit() as unit:
            session = unit.session
            appeal = await get_appeal(session, appeal_id)
            if appeal is None:
                raise NotFoundError(N_("There is no appeal %(id)s."), id=appeal_id)
            appeal.status = AppealStatus.WITHDRAWN
            cancelled = await cancel_pending(session, appeal.id, reason="appeal withdrawn")
            counts = await state_counts(session, appeal.id)
            told = await queue_withdrawals(
                session, appeal.id, channels=self._withdrawing, now=self._clock()
            )
            await self._audit(session, actor, "withdraw", appeal.id, cancelled=cancelled)
            unit.after_commit(lambda: self._delivery.withdraw(appeal_id))
            if told:
                unit.after_commit(self._delivery.wake)
            unit.after_commit(self._index.invalidate)
            return Withdrawn(
                appeal_id=appeal.id,
                title=appeal.title,
                cancelled=cancelled,
                already_sent=counts.get(DeliveryState.SENT, 0),
            )

    async def _audit(
        self, session: AsyncSession, actor: Actor, action: str, appeal_id: int, **detail: int
    ) -> None:
        await log_action(
            session,
            actor=actor.label,
            actor_id=actor.user_id,
            action=action,
            subject=f"appeal:{appeal_id}",
            detail=dict(detail),
        )
