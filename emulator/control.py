"""HTTP control endpoints, for running the emulator as its own process (benchmarks)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from aiohttp import web

from emulator.limits import Limits
from emulator.server import BotApiEmulator, Faults
from emulator.state import World


def _summary(world: World) -> dict[str, Any]:
    per_chat = Counter({chat: len(messages) for chat, messages in world.messages.items()})
    last = max((m[-1].monotonic for m in world.messages.values() if m), default=0.0)
    first = min((m[0].monotonic for m in world.messages.values() if m), default=0.0)
    return {
        **world.counters.as_dict(),
        "chats": len(per_chat),
        "max_per_chat": max(per_chat.values(), default=0),
        "first_sent_at": first,
        "last_sent_at": last,
    }


def add_control_routes(app: web.Application, emulator: BotApiEmulator) -> None:
    """Let another process configure the emulator and read what happened."""

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(_summary(emulator.world))

    async def limits(request: web.Request) -> web.Response:
        emulator.set_limits(Limits(**await request.json()))
        return web.json_response({"ok": True})

    async def faults(request: web.Request) -> web.Response:
        emulator.set_faults(Faults(**await request.json()))
        return web.json_response({"ok": True})

    async def reset(_request: web.Request) -> web.Response:
        emulator.world = World()
        emulator.set_limits(emulator.flood.limits)
        return web.json_response({"ok": True})

    async def send_text(request: web.Request) -> web.Response:
        body = await request.json()
        update_id = emulator.send_text(int(body["chat_id"]), str(body["text"]))
        return web.json_response({"update_id": update_id})

    async def ask(request: web.Request) -> web.Response:
        """Write as a user and wait for the bot's first answer; time it on this side."""
        body = await request.json()
        chat_id, deadline = int(body["chat_id"]), time.monotonic() + float(body["timeout"])
        before = len(emulator.world.messages.get(chat_id, ()))
        pushed = time.monotonic()
        emulator.send_text(chat_id, str(body["text"]))
        while len(emulator.world.messages.get(chat_id, ())) <= before:
            if time.monotonic() > deadline:
                return web.json_response({"answered": False})
            await asyncio.sleep(0.001)
        reply = emulator.world.messages[chat_id][before]
        latency = (reply.monotonic - pushed) * 1000
        return web.json_response({"answered": True, "ms": latency, "text": reply.text})

    async def messages(request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        sent = emulator.sent(chat_id)
        return web.json_response(
            [{"text": m.text, "monotonic": m.monotonic, "edits": m.edits} for m in sent]
        )

    async def timeline(_request: web.Request) -> web.Response:
        sent = [[m.chat_id, m.monotonic] for chat in emulator.world.messages.values() for m in chat]
        return web.json_response({"sent": sent, "refused": emulator.world.refused})

    app.router.add_get("/_emulator/stats", stats)
    app.router.add_get("/_emulator/timeline", timeline)
    app.router.add_post("/_emulator/limits", limits)
    app.router.add_post("/_emulator/faults", faults)
    app.router.add_post("/_emulator/reset", reset)
    app.router.add_post("/_emulator/send_text", send_text)
    app.router.add_post("/_emulator/ask", ask)
    app.router.add_get("/_emulator/chats/{chat_id}/messages", messages)
