"""Telegram subscriptions: subscribe, unsubscribe, settings, following cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.delivery_signals import DeliverySignals, NoDelivery
from core.errors import BadInputError
from core.pseudonyms import Pseudonyms
from core.timing import Clock, zone_named
from storage.database import Database
from storage.enums import SubscriberState
from storage.models import Subscriber
from storage.records import CaseRecord, case_record
from storage.repo.appeals import get_appeal
from storage.repo.cases import get_case, is_public_case, list_countries
from storage.repo.deliveries import move, queue_each
from storage.repo.drafts import delete_drafts_of
from storage.repo.subscribers import (
    forget,
    forget_requested,
    get_by_address,
    languages,
    leave,
    subscribe,
    toggle_followed,
)
from storage.repo.subscribers import toggle_country as repo_toggle_country
from templates.i18n import LANGUAGES, N_, supported


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """What a subscribed chat receives."""

    group: bool
    urgent_only: bool
    countries: tuple[str, ...]
    followed: tuple[tuple[int, str], ...]  # (case id, name)
    timezone: str | None
    language: str


class SubscriptionService:
    """Change and read what a chat receives."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        chats_on: str,
        delivery: DeliverySignals | None = None,
        pseudonyms: Pseudonyms | None = None,
    ) -> None:
        self._clock = clock
        self._chats = chats_on  # the channel whose chats talk to the bot
        self._db = db
        self._delivery = delivery or NoDelivery()
        self._pseudonyms = pseudonyms
        # Every update asks for its chat's language: read from the database once, then kept
        # here and changed after each commit that changes it (this process answers updates).
        self._languages: dict[int, str] | None = None

    async def _of_chat(self, session: AsyncSession, chat_id: int) -> Subscriber | None:
        """Return a chat's subscription (a chat's address is its id)."""
        return await get_by_address(session, self._chats, str(chat_id))

    async def _active(self, session: AsyncSession, chat_id: int) -> Subscriber | None:
        subscriber = await self._of_chat(session, chat_id)
        if subscriber is None or subscriber.state is not SubscriberState.ACTIVE:
            return None
        return subscriber

    def _chat_is(self, chat_id: int, language: str | None) -> None:
        if self._languages is None:
            return
        if language is None:
            self._languages.pop(chat_id, None)
        else:
            self._languages[chat_id] = language

    async def send_open(self, chat_id: int, appeal_ids: Sequence[int]) -> int | None:
        """Queue these appeals for a chat (each once); None when it is not subscribed."""
        async with self._db.unit() as unit:
            subscriber = await self._active(unit.session, chat_id)
            if subscriber is None:
                return None
            queued = await queue_each(
                unit.session, subscriber_id=subscriber.id, appeal_ids=appeal_ids, now=self._clock()
            )
            if queued:
                unit.after_commit(self._delivery.wake)
            return queued

    async def subscribe(
        self, *, chat_id: int, chat_type: str, language_code: str | None
    ) -> tuple[str, bool]:
        """Subscribe a chat; return the language it is answered in and whether anything
        changed."""
        async with self._db.unit() as unit:
            subscriber, changed = await subscribe(
                unit.session,
                channel=self._chats,
                address=str(chat_id),
                kind=chat_type,
                language=supported(language_code),
            )
            language = subscriber.language
            unit.after_commit(lambda: self._chat_is(chat_id, language))
            return language, changed

    async def unsubscribe(self, chat_id: int) -> bool:
        """Unsubscribe a chat; return whether it was subscribed."""
        async with self._db.unit() as unit:
            if await self._active(unit.session, chat_id) is None:
                return False
            unit.after_commit(lambda: self._chat_is(chat_id, None))
            return await leave(
                unit.session, self._chats, str(chat_id), SubscriberState.UNSUBSCRIBED
            )

    async def chat_gone(self, chat_id: int, *, blocked: bool) -> None:
        """Record that the bot was removed from a chat or blocked in it."""
        state = SubscriberState.BLOCKED if blocked else SubscriberState.UNSUBSCRIBED
        async with self._db.unit() as unit:
            unit.after_commit(lambda: self._chat_is(chat_id, None))
            await leave(unit.session, self._chats, str(chat_id), state)

    async def follow_offer(self, chat_id: int, appeal_id: int) -> tuple[bool, list[CaseRecord]]:
        """Return whether a chat is subscribed, and the appeal's cases it does not follow."""
        async with self._db.read() as session:
            subscriber = await self._active(session, chat_id)
            appeal = await get_appeal(session, appeal_id)
            if appeal is None:
                return subscriber is not None, []
            followed = {case.id for case in subscriber.followed} if subscriber else set()
            cases = [case_record(c) for c in appeal.cases if c.id not in followed]
            return subscriber is not None, cases

    async def forget(self, *, chat_id: int, user_id: int | None) -> bool:
        """Delete everything about a chat (and, in a private chat, its person's drafts);
        return whether there was anything. Protests stay counted, by hash only."""
        async with self._db.unit() as unit:
            subscriber = await self._of_chat(unit.session, chat_id)
            found = subscriber is not None and await forget(unit.session, subscriber.id)
            if self._pseudonyms is not None:
                # The email sign-up this chat asked for and nobody confirmed goes with it.
                requester = self._pseudonyms.requester(chat_id)
                found = await forget_requested(unit.session, requester) or found
            unit.after_commit(lambda: self._chat_is(chat_id, None))
            if user_id is not None and user_id == chat_id:
                found = await delete_drafts_of(unit.session, user_id) or found
            return found

    async def settings(self, chat_id: int) -> tuple[ChatSettings | None, list[str]]:
        """Return what a chat receives (None: not subscribed) and the countries it could
        choose from."""
        async with self._db.read() as session:
            subscriber = await self._active(session, chat_id)
            countries = await list_countries(session)
            if subscriber is None:
                return None, countries
            found = ChatSettings(
                group=bool(subscriber.kind and subscriber.kind != "private"),
                urgent_only=subscriber.urgent_only,
                countries=tuple(subscriber.countries),
                followed=tuple((case.id, case.name) for case in subscriber.followed),
                timezone=subscriber.timezone,
                language=subscriber.language,
            )
        return found, countries

    async def language(self, chat_id: int) -> str | None:
        """Return the language a subscribed chat chose (None: not subscribed)."""
        if self._languages is None:
            async with self._db.read() as session:
                found = await languages(session, self._chats)
                self._languages = {int(chat): language for chat, language in found.items()}
        return self._languages.get(chat_id)

    async def set_language(self, chat_id: int, language: str) -> bool:
        """Choose the language a chat is answered and sent appeals in; False if not subscribed."""
        if language not in LANGUAGES:
            raise BadInputError(
                N_("“%(code)s” is not a language this bot speaks."), code=language[:8]
            )
        async with self._db.unit() as unit:
            subscriber = await self._active(unit.session, chat_id)
            if subscriber is None:
                return False
            subscriber.language = language
            unit.after_commit(lambda: self._chat_is(chat_id, language))
            return True

    async def set_urgent_only(self, chat_id: int, *, urgent_only: bool) -> bool:
        """Choose between urgent appeals only and all appeals; False if not subscribed."""
        async with self._db.unit() as unit:
            subscriber = await self._active(unit.session, chat_id)
            if subscriber is None:
                return False
            subscriber.urgent_only = urgent_only
            return True

    async def set_timezone(self, chat_id: int, name: str) -> str | None:
        """Set the zone reminders use for a chat; return its name (None: not subscribed).

        Raises BadInputError for a name that is not an IANA zone.
        """
        zone = zone_named(name.strip())
        if zone is None:
            raise BadInputError(
                N_(
                    "“%(name)s” is not a time zone I know. Write it as a region and a city, "
                    "such as Asia/Almaty or Europe/Berlin."
                ),
                name=name[:60],
            )
        async with self._db.unit() as unit:
            subscriber = await self._active(unit.session, chat_id)
            if subscriber is None:
                return None
            subscriber.timezone = zone.key
            return zone.key

    async def toggle_country(self, chat_id: int, country: str) -> bool:
        """Add a country to the filter or remove it; False if not subscribed."""
        async with self._db.unit() as unit:
            subscriber = await self._active(unit.session, chat_id)
            if subscriber is None:
                return False
            known = country in await list_countries(unit.session)
            if country in subscriber.countries or known:
                await repo_toggle_country(unit.session, subscriber, country)
            return True

    async def toggle_follow(self, chat_id: int, case_id: int) -> bool | None:
        """Follow a case or stop following it; None when the chat is not subscribed.

        A case the public cannot see cannot be followed (only left, if it was before).
        """
        async with self._db.unit() as unit:
            session = unit.session
            subscriber = await self._active(session, chat_id)
            case = await get_case(session, case_id)
            if subscriber is None or case is None:
                return None
            following = any(followed.id == case.id for followed in subscriber.followed)
            if not following and not await is_public_case(session, case.id):
                return None
            return await toggle_followed(session, subscriber, case)

    async def move(self, old_chat_id: int, new_chat_id: int) -> bool:
        """Follow a group to its new supergroup id; False if it was not subscribed."""
        async with self._db.unit() as unit:
            subscriber = await self._of_chat(unit.session, old_chat_id)
            if subscriber is None:
                return False
            language = subscriber.language

            def moved() -> None:
                self._chat_is(old_chat_id, None)
                self._chat_is(new_chat_id, language)

            unit.after_commit(moved)
            return await move(unit.session, subscriber.id, str(new_chat_id), "supergroup")
