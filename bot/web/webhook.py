"""The Telegram webhook: updates Telegram posts, each checked against the secret token."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Accept = Callable[[dict[str, Any]], Awaitable[None]]
"""Hand one update (as Telegram sent it) to the bot."""


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where updates arrive, the secret they must carry, and who takes them."""

    path: str
    secret: str
    accept: Accept


WEBHOOK_KEY = web.AppKey("webhook", Webhook)


async def receive(request: web.Request) -> web.Response:
    """Take one update; 403 without the right secret, and nothing is changed."""
    webhook = request.app[WEBHOOK_KEY]
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), webhook.secret.encode()):
        log.warning("a webhook request without the right secret token was refused")
        return web.Response(status=403, text="Forbidden")
    try:
        update = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        return web.Response(status=400, text="Bad Request")
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return web.Response(status=400, text="Bad Request")
    await webhook.accept(update)
    return web.Response(status=200, text="ok")


def add_routes(app: web.Application, webhook: Webhook) -> None:
    """Serve the webhook at its path."""
    app[WEBHOOK_KEY] = webhook
    app.router.add_post(webhook.path, receive)
