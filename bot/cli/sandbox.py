"""``appealbot sandbox``: the whole service without a token, in a terminal.

It starts the Bot API emulator and an SMTP sink on loopback, the bot against them with the
seeded appeals in a temporary database, and a terminal chat (``bot/cli/console.py``).
Nothing leaves the machine and nothing is kept.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
import threading
from pathlib import Path

from bot.app import Overrides, serve
from bot.cli.console import HELP, Console
from bot.config import Settings
from bot.telegram.updates import HandledUpdates
from core.errors import AppealbotError
from core.sealing import DataKey
from emulator import BotApiEmulator
from emulator.mailbox import Sink, free_port, smtp_server

SUBSCRIBER = 100_000_001
ADMIN = 100_000_002
INTRO = """appealbot sandbox: a Bot API emulator, an SMTP sink and the bot, all on this machine.
The seeded appeals are loaded; you are a subscriber in a private chat with the bot.
Try /start, then /case Kurmanov; :admin makes you the admin (/newappeal). :help for more."""


def sandbox_settings(folder: Path, emulator: BotApiEmulator, smtp_port: int) -> Settings:
    """Return the settings of the bot inside the sandbox (the environment is ignored)."""
    http_port = free_port()
    return Settings(
        _env_file=None,
        telegram_token=emulator.token,
        telegram_api_url=emulator.api_root,
        database_url=f"sqlite+aiosqlite:///{folder / 'sandbox.db'}",
        # A key for this throw-away database only: no key file is made for it.
        data_key=DataKey.new().as_text(),
        key_file=None,
        admin_ids=str(ADMIN),
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        mail_from="appeals@sandbox.invalid",
        email_check_deliverability=False,
        http_host="127.0.0.1",
        http_port=http_port,
        public_url=f"http://127.0.0.1:{http_port}",
    )


async def _lines() -> asyncio.Queue[str | None]:
    """Read stdin in a thread, line by line (None at its end)."""
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    # A daemon thread: a read that never returns must not hold up the exit.
    threading.Thread(target=read, name="sandbox-stdin", daemon=True).start()
    return queue


async def _until_polling(emulator: BotApiEmulator, bot: asyncio.Task[None]) -> None:
    for _ in range(600):
        if bot.done():
            bot.result()
            raise AppealbotError("the bot stopped before it started")
        if emulator.world.counters.calls["getupdates"] >= 1:
            return
        await asyncio.sleep(0.05)
    raise AppealbotError("the bot did not start within 30 seconds")


async def sandbox(_settings: Settings, _args: argparse.Namespace) -> int:
    """Run the sandbox until :quit or the end of input."""
    logging.getLogger().setLevel(logging.WARNING)
    out = sys.stdout
    mailbox = Sink()
    with tempfile.TemporaryDirectory(prefix="appealbot-sandbox-") as folder:
        async with BotApiEmulator() as emulator, smtp_server(mailbox) as smtp_port:
            settings = sandbox_settings(Path(folder), emulator, smtp_port)
            stop = asyncio.Event()
            handled = HandledUpdates()
            bot = asyncio.create_task(
                serve(settings, stop=stop, overrides=Overrides(handled=handled)),
                name="sandbox-bot",
            )
            try:
                await _until_polling(emulator, bot)
                console = Console(
                    emulator,
                    mailbox,
                    out,
                    subscriber=SUBSCRIBER,
                    admin=ADMIN,
                    web=settings.public_url,
                    handled=handled,
                )
                console.say(INTRO)
                console.say(HELP)
                lines = await _lines()
                console.prompt()
                while (line := await lines.get()) is not None:
                    if not await console.handle(line):
                        break
                    console.prompt()
                console.say("\nStopping the sandbox; nothing is kept.")
            finally:
                stop.set()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(bot, timeout=20)
    return 0
