"""Subscribing from a private chat and from a group, settings, following, leaving."""

from __future__ import annotations

from sqlalchemy import select

from emulator import BotApiEmulator
from storage.enums import SubscriberState
from storage.models import Subscriber
from storage.repo.subscribers import get_by_address
from tests.support.bot import handled, sessions_for
from tests.support.offline import OfflineChats, offline_bot

CHAT = 6161
GROUP, ADMIN, MEMBER = -7171, 71, 72


async def subscriber(url: str, chat_id: int) -> Subscriber | None:
    async with sessions_for(url) as sessions, sessions() as session:
        return await get_by_address(session, "telegram", str(chat_id))


async def test_private_subscribe_settings_follow_unsubscribe(seeded_url: str) -> None:
    async with offline_bot(seeded_url) as bot:
        await _subscribe_settings_follow_unsubscribe(bot, seeded_url)


async def _subscribe_settings_follow_unsubscribe(bot: OfflineChats, seeded_url: str) -> None:
    [settings] = await bot.converse(CHAT, "/subscribe", language_code="en-GB")
    assert settings.text.startswith("✅ Subscribed.")
    assert "Appeals: all appeals" in settings.text
    assert "Countries: all countries" in settings.text
    stored = await subscriber(seeded_url, CHAT)
    assert stored is not None
    assert (stored.state, stored.kind, stored.language) == (
        SubscriberState.ACTIVE,
        "private",
        "en",
    )
    assert len(stored.unsubscribe_token) >= 32

    await bot.tap(settings, "Urgent only")
    assert settings.edits == 1
    assert "Appeals: urgent appeals only" in settings.text
    assert settings.button("Urgent only")["text"] == "✅ Urgent only"
    await bot.tap(settings, "KZ")
    assert settings.edits == 2
    assert "Countries: Kazakhstan" in settings.text

    [summary] = await bot.converse(CHAT, "/case Kurmanov")
    answer = await bot.tap(summary, "Follow this case")
    assert "Following" in str(answer["text"])
    assert summary.edits == 1
    assert summary.button("Stop following")

    [current] = await bot.converse(CHAT, "/settings")
    assert "Following: Ainur Kurmanov" in current.text
    stored = await subscriber(seeded_url, CHAT)
    assert stored is not None
    assert stored.urgent_only is True
    assert stored.countries == ["KZ"]
    assert [case.slug for case in stored.followed] == ["ainur-kurmanov"]

    await bot.tap(current, "Unfollow Ainur Kurmanov")
    assert current.edits == 1
    assert "Following: no case" in current.text

    [again] = await bot.converse(CHAT, "/subscribe")
    assert again.text.startswith("This chat is already subscribed.")
    [bye] = await bot.converse(CHAT, "/unsubscribe")
    assert bye.text.startswith("Unsubscribed.")
    assert await subscriber(seeded_url, CHAT) is None, "the chat id is not kept"
    [not_subscribed] = await bot.converse(CHAT, "/settings")
    assert "not subscribed" in not_subscribed.text


async def test_follow_needs_a_subscription_first(offline: OfflineChats) -> None:
    [summary] = await offline.converse(CHAT, "/case Kurmanov")
    assert all("Follow" not in button["text"] for button in summary.buttons)


async def test_only_group_admins_change_the_group_subscription(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    bot.make_admin(GROUP, ADMIN)
    [refused] = await bot.converse(GROUP, "/subscribe", user_id=MEMBER, chat_type="group")
    assert refused.text == "Only admins of this group can change its subscription."
    assert await subscriber(seeded_url, GROUP) is None

    [settings] = await bot.converse(GROUP, "/subscribe", user_id=ADMIN)
    assert settings.text.startswith("✅ Subscribed.")
    assert "only group admins can change them" in settings.text
    stored = await subscriber(seeded_url, GROUP)
    assert stored is not None
    assert stored.kind == "group"

    answer = await bot.wait_for_answer(bot.tap(settings, "Urgent only", user_id=MEMBER))
    assert answer["show_alert"] is True
    assert "Only group admins" in str(answer["text"])
    assert settings.edits == 0

    [still] = await bot.converse(GROUP, "/unsubscribe", user_id=MEMBER)
    assert still.text == "Only admins of this group can change its subscription."
    stored = await subscriber(seeded_url, GROUP)
    assert stored is not None
    assert stored.state is SubscriberState.ACTIVE


async def test_removed_from_group_or_blocked_means_unsubscribed(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    bot.make_admin(GROUP, ADMIN)
    await bot.converse(GROUP, "/subscribe", user_id=ADMIN, chat_type="group")
    await bot.converse(CHAT, "/subscribe")
    await handled(
        bot,
        bot.change_membership(GROUP, status="left", user_id=ADMIN),
        bot.change_membership(CHAT, status="kicked"),
    )
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        rows = list(await session.scalars(select(Subscriber)))
    states = sorted(row.state.value for row in rows)
    assert states == ["blocked", "unsubscribed"]
    assert all(row.address_sealed is None and row.address_hash is None for row in rows), (
        "chats that left are counted, not kept"
    )


async def test_other_text_gets_a_hint(bot: BotApiEmulator) -> None:
    [hint] = await bot.converse(CHAT, "hello, what is this?")
    assert "/help" in hint.text
    assert hint.buttons == []
    [named] = await bot.converse(CHAT, "Kuramshin")
    assert "This may be it" in named.text
    assert named.buttons[0]["text"] == "Vadim Kuramshin"
    [unknown] = await bot.converse(CHAT, "/frobnicate")
    assert "/help" in unknown.text
    bot.send_text(GROUP, "/frobnicate", user_id=MEMBER, chat_type="group")
    bot.send_text(GROUP, "just chatting", user_id=MEMBER)
    [addressed] = await bot.converse(GROUP, "/frobnicate@appeal_test_bot", user_id=MEMBER)
    assert "/help" in addressed.text
    assert len(bot.sent(GROUP)) == 1


async def test_a_group_that_becomes_a_supergroup_stays_subscribed(
    bot: BotApiEmulator, seeded_url: str
) -> None:
    bot.make_admin(GROUP, ADMIN)
    await bot.converse(GROUP, "/subscribe", user_id=ADMIN, chat_type="group")
    announced = bot.migrate(GROUP, -100_7171, announce=True)
    assert announced is not None
    await handled(bot, announced)
    async with sessions_for(seeded_url) as sessions, sessions() as session:
        moved = await get_by_address(session, "telegram", str(-100_7171))
    assert moved is not None
    assert moved.kind == "supergroup"
    assert moved.state is SubscriberState.ACTIVE
