"""HTTP control endpoints, for running the emulator as its own process (benchmarks)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web

from tests.emulator.limits import Limits
from tests.emulator.server import BotApiEmulator, Faults
from tests.emulator.state import World


def _summary(world: World) -> dict[str, Any]:
    per_chat = Counter({chat: len(messages) for chat, messages in world.messages.items()})
    return {
        **world.counters.as_dict(),
        "chats": len(per_chat),
        "max_per_chat": max(per_chat.values(), default=0),
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

    async def messages(request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        sent = emulator.sent(chat_id)
        return web.json_response(
            [{"text": m.text, "monotonic": m.monotonic, "edits": m.edits} for m in sent]
        )

    app.router.add_get("/_emulator/stats", stats)
    app.router.add_post("/_emulator/limits", limits)
    app.router.add_post("/_emulator/faults", faults)
    app.router.add_post("/_emulator/reset", reset)
    app.router.add_post("/_emulator/send_text", send_text)
    app.router.add_get("/_emulator/chats/{chat_id}/messages", messages)
