"""Telegram subscriptions: subscribe, unsubscribe, settings, following cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.enums import SubscriberState
from storage.models import Subscriber
from storage.repo.cases import get_case, is_public_case, list_countries
from storage.repo.deliveries import move_chat
from storage.repo.subscribers import (
    get_by_chat,
    set_state,
    subscribe_chat,
    toggle_followed,
)
from storage.repo.subscribers import toggle_country as repo_toggle_country

SUPPORTED_LANGUAGES = ("en", "ru")


def language_of(code: str | None) -> str:
    """Return the language we keep for a Telegram language_code."""
    short = (code or "en").split("-")[0].lower()
    return short if short in SUPPORTED_LANGUAGES else "en"


async def subscribe(
    session: AsyncSession, *, chat_id: int, chat_type: str, language_code: str | None
) -> tuple[Subscriber, bool]:
    """Subscribe a chat; return the subscriber and whether anything changed."""
    return await subscribe_chat(
        session, chat_id=chat_id, chat_type=chat_type, language=language_of(language_code)
    )


async def unsubscribe(session: AsyncSession, chat_id: int) -> bool:
    """Unsubscribe a chat; return whether it was subscribed."""
    subscriber = await get_by_chat(session, chat_id)
    if subscriber is None or subscriber.state is not SubscriberState.ACTIVE:
        return False
    return await set_state(session, chat_id, SubscriberState.UNSUBSCRIBED)


async def chat_gone(session: AsyncSession, chat_id: int, *, blocked: bool) -> None:
    """Record that the bot was removed from a chat or blocked in it."""
    state = SubscriberState.BLOCKED if blocked else SubscriberState.UNSUBSCRIBED
    await set_state(session, chat_id, state)


async def settings_of(session: AsyncSession, chat_id: int) -> Subscriber | None:
    """Return a chat's subscription with the cases it follows."""
    return await get_by_chat(session, chat_id)


async def available_countries(session: AsyncSession) -> list[str]:
    """Return the countries a subscriber can filter by."""
    return await list_countries(session)


async def set_urgent_only(
    session: AsyncSession, chat_id: int, *, urgent_only: bool
) -> Subscriber | None:
    """Choose between urgent appeals only and all appeals."""
    subscriber = await get_by_chat(session, chat_id)
    if subscriber is None or subscriber.state is not SubscriberState.ACTIVE:
        return None
    subscriber.urgent_only = urgent_only
    await session.flush()
    return subscriber


async def toggle_country(session: AsyncSession, chat_id: int, country: str) -> Subscriber | None:
    """Add a country to the filter, or remove it (no country means every country)."""
    subscriber = await get_by_chat(session, chat_id)
    if subscriber is None or subscriber.state is not SubscriberState.ACTIVE:
        return None
    if country in subscriber.countries or country in await list_countries(session):
        await repo_toggle_country(session, subscriber, country)
    return subscriber


async def toggle_follow(session: AsyncSession, chat_id: int, case_id: int) -> bool | None:
    """Follow a case or stop following it; None when the chat is not subscribed.

    A case nobody may see cannot be followed (only left, if it was followed before).
    """
    subscriber = await get_by_chat(session, chat_id)
    case = await get_case(session, case_id)
    if subscriber is None or subscriber.state is not SubscriberState.ACTIVE or case is None:
        return None
    following = any(followed.id == case.id for followed in subscriber.followed)
    if not following and not await is_public_case(session, case.id):
        return None
    return await toggle_followed(session, subscriber, case)


async def move(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """Follow a group to its new supergroup id; False if it was not subscribed."""
    subscriber = await get_by_chat(session, old_chat_id)
    if subscriber is None:
        return False
    return await move_chat(session, subscriber.id, new_chat_id)
