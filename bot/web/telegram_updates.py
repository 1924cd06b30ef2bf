"""The Telegram webhook: updates Telegram posts, each checked against the secret token."""

from __future__ import annotations

import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from core.errors import BadUpdateError

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

Accept = Callable[[dict[str, Any]], Awaitable[None]]
"""Hand one update (as Telegram sent it) to the bot."""


@dataclass(slots=True)
class UpdateHook:
    """Where updates arrive, the secret they must carry, and who takes them."""

    path: str
    secret: str
    accept: Accept  # raises BadUpdateError for what is not an update
    # The ids of the updates taken lately: Telegram posts an update again when our answer
    # did not reach it, and a replay must not be handled twice.
    seen: OrderedDict[int, None] = field(default_factory=OrderedDict)
    remember: int = 10_000

    def first_time(self, update_id: int) -> bool:
        """Tell whether this update id is new (and remember it)."""
        if update_id in self.seen:
            return False
        self.seen[update_id] = None
        if len(self.seen) > self.remember:
            self.seen.popitem(last=False)
        return True


UPDATE_HOOK_KEY = web.AppKey("telegram_updates", UpdateHook)


async def receive(request: web.Request) -> web.Response:
    """Take one update; 403 without the right secret, and nothing is changed."""
    webhook = request.app[UPDATE_HOOK_KEY]
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), webhook.secret.encode()):
        log.warning("a webhook request without the right secret token was refused")
        return web.Response(status=403, text="Forbidden")
    try:
        update = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return web.Response(status=400, text="Bad Request")
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return web.Response(status=400, text="Bad Request")
    update_id = update["update_id"]
    if not webhook.first_time(update_id):
        return web.Response(status=200, text="ok")  # a replay: taken already
    try:
        await webhook.accept(update)
    except BadUpdateError:
        webhook.seen.pop(update_id, None)
        log.warning("a webhook request that is not an update the bot can read was refused")
        return web.Response(status=400, text="Bad Request")
    return web.Response(status=200, text="ok")


def add_routes(app: web.Application, webhook: UpdateHook) -> None:
    """Serve the webhook at its path."""
    app[UPDATE_HOOK_KEY] = webhook
    app.router.add_post(webhook.path, receive)
