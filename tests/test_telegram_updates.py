"""Webhook mode: Telegram posts updates to the same HTTP app; the secret token is checked."""

from __future__ import annotations

import aiohttp
from sqlalchemy import func, select

from emulator import BotApiEmulator
from storage.models import Subscriber
from tests.support.bot import running_bot, sessions_for
from tests.support.smtp import free_port

SECRET = "a-webhook-secret_0123456789"
PUBLIC = "https://bot.example.org/telegram"  # TLS ends at the operator's reverse proxy


async def subscribers(url: str) -> int:
    async with sessions_for(url) as sessions, sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Subscriber)) or 0)


async def test_updates_with_the_secret_are_handled_and_others_get_403_and_change_nothing(
    emulator: BotApiEmulator, seeded_url: str
) -> None:
    port = free_port()
    local = f"http://127.0.0.1:{port}/telegram"
    async with running_bot(
        emulator, seeded_url, webhook_url=PUBLIC, webhook_secret=SECRET, http_port=port
    ):
        assert emulator.world.webhook == {"url": PUBLIC, "secret_token": SECRET}
        assert emulator.world.counters.calls["getupdates"] == 0, "no polling beside a webhook"
        emulator.route_webhook(local)
        [reply] = await emulator.converse(5_501, "/start")
        assert "appeal" in reply.text.lower()
        [settings] = await emulator.converse(5_501, "/subscribe")
        assert settings.text.startswith("✅ Subscribed.")
        assert set(emulator.webhook_statuses) == {200}
        before = await subscribers(seeded_url)
        forged = {
            "update_id": 999_001,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 5_502, "type": "private"},
                "from": {"id": 5_502, "is_bot": False, "first_name": "X"},
                "text": "/subscribe",
                "entities": [{"type": "bot_command", "offset": 0, "length": 10}],
            },
        }
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(local, json=forged, headers=headers) as answer:
                    assert answer.status == 403
            async with http.post(
                local, data=b"not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ) as bad:
                assert bad.status == 400
        [still] = await emulator.converse(5_501, "/settings")
        assert "Settings for this chat" in still.text
        assert emulator.sent(5_502) == []
        assert await subscribers(seeded_url) == before


def test_a_webhook_url_that_is_not_https_is_refused_at_start() -> None:
    import pytest
    from pydantic import ValidationError

    from bot.config import Settings

    with pytest.raises(ValidationError, match="HTTPS"):
        Settings(_env_file=None, webhook_url="http://bot.example.org/telegram")


async def test_the_emulator_holds_webhooks_to_telegrams_rules(emulator: BotApiEmulator) -> None:
    base = f"{emulator.api_root}/bot{emulator.token}"
    async with aiohttp.ClientSession() as http:
        for url, said in (
            ("http://bot.example.org/hook", "HTTPS URL must be provided"),
            ("https://bot.example.org:8080/hook", "ports 80, 88, 443 or 8443"),
        ):
            async with http.post(f"{base}/setWebhook", json={"url": url}) as answer:
                body = await answer.json()
            assert answer.status == 400
            assert said in body["description"]
        async with http.post(
            f"{base}/setWebhook", json={"url": "https://bot.example.org/hook"}
        ) as answer:
            assert (await answer.json())["ok"] is True
        async with http.post(f"{base}/getUpdates", json={}) as polled:
            assert polled.status == 409
        async with http.post(f"{base}/deleteWebhook", json={}) as deleted:
            assert (await deleted.json())["result"] is True
        async with http.post(f"{base}/getUpdates", json={}) as polled:
            assert polled.status == 200
