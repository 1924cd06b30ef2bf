"""Publishing: an appeal goes live and is queued for every subscriber who wants it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BadInputError, NotFoundError
from storage.enums import AppealStatus, Channel, DeliveryState, Urgency
from storage.repo.appeals import get_appeal
from storage.repo.audit import log_action
from storage.repo.broadcasts import ensure_broadcast, reopen
from storage.repo.deliveries import (
    cancel_pending,
    count_for_appeal,
    fan_out,
    requeue_failed,
    state_counts,
)
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class Published:
    appeal_id: int
    broadcast_id: int
    queued: int
    total: int


async def publish(
    session: AsyncSession,
    appeal_id: int,
    *,
    actor: str,
    actor_id: int | None = None,
    progress_chat_id: int | None = None,
    channels: Sequence[Channel] = (Channel.TELEGRAM,),
    paid: bool = False,
) -> Published:
    """Publish a draft (or re-queue a published appeal) and fan it out to subscribers.

    Every matching subscriber gets one delivery row per channel; running this again adds
    rows only for subscribers who joined since, so nobody gets the appeal twice.
    """
    appeal = await get_appeal(session, appeal_id)
    if appeal is None:
        raise NotFoundError(f"there is no appeal {appeal_id}")
    if appeal.status is AppealStatus.WITHDRAWN:
        raise BadInputError(f"appeal {appeal_id} was withdrawn; it cannot be broadcast")
    now = utcnow()
    if appeal.status is AppealStatus.DRAFT:
        appeal.status = AppealStatus.PUBLISHED
        appeal.published_at = now
        await session.flush()
    queued = await fan_out(
        session,
        appeal_id=appeal.id,
        case_ids=[case.id for case in appeal.cases],
        countries=sorted({case.country for case in appeal.cases}),
        urgent=appeal.urgency is Urgency.URGENT,
        now=now,
        channels=channels,
    )
    broadcast = await ensure_broadcast(
        session,
        appeal_id=appeal.id,
        started_by=actor_id,
        progress_chat_id=progress_chat_id,
        paid=paid,
        now=now,
    )
    total = await count_for_appeal(session, appeal.id)
    broadcast.total = total
    if queued:
        broadcast.finished_at = None
    await log_action(
        session,
        actor=actor,
        actor_id=actor_id,
        action="broadcast",
        subject=f"appeal:{appeal.id}",
        detail={"queued": queued, "total": total},
    )
    return Published(appeal_id=appeal.id, broadcast_id=broadcast.id, queued=queued, total=total)


async def retry_failed(
    session: AsyncSession, appeal_id: int, *, actor: str, actor_id: int | None = None
) -> int:
    """Queue the failed deliveries of a published appeal again; return how many."""
    appeal = await get_appeal(session, appeal_id)
    if appeal is None:
        raise NotFoundError(f"there is no appeal {appeal_id}")
    if appeal.status is not AppealStatus.PUBLISHED:
        raise BadInputError(f"appeal {appeal_id} is not published; nothing to retry")
    requeued = await requeue_failed(session, appeal_id, now=utcnow())
    if requeued:
        await reopen(session, appeal_id)
    await log_action(
        session,
        actor=actor,
        actor_id=actor_id,
        action="retry failed",
        subject=f"appeal:{appeal_id}",
        detail={"requeued": requeued},
    )
    return requeued


@dataclass(frozen=True, slots=True)
class Withdrawn:
    appeal_id: int
    title: str
    cancelled: int
    already_sent: int


async def withdraw(
    session: AsyncSession, appeal_id: int, *, actor: str, actor_id: int | None = None
) -> Withdrawn:
    """Unpublish an appeal and cancel every delivery of it that has not gone out."""
    appeal = await get_appeal(session, appeal_id)
    if appeal is None:
        raise NotFoundError(f"there is no appeal {appeal_id}")
    appeal.status = AppealStatus.WITHDRAWN
    cancelled = await cancel_pending(session, appeal.id, reason="appeal withdrawn")
    counts = await state_counts(session, appeal.id)
    await log_action(
        session,
        actor=actor,
        actor_id=actor_id,
        action="withdraw",
        subject=f"appeal:{appeal.id}",
        detail={"cancelled": cancelled},
    )
    return Withdrawn(
        appeal_id=appeal.id,
        title=appeal.title,
        cancelled=cancelled,
        already_sent=counts.get(DeliveryState.SENT, 0),
    )
