"""Run the emulator as its own process: ``python -m emulator [--port N] [--no-limits]``.

Prints ``listening on PORT`` once ready; stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from aiohttp import web

from emulator.control import add_control_routes
from emulator.limits import Limits
from emulator.server import BotApiEmulator


async def serve(port: int, limits: Limits) -> None:
    emulator = BotApiEmulator(limits=limits, port=port)
    app = emulator.build_app()
    add_control_routes(app, emulator)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    server = site._server
    assert server is not None
    bound = getattr(server, "sockets", [])[0].getsockname()[1]
    print(f"listening on {bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description="Bot API emulator")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-limits", action="store_true")
    parser.add_argument("--rate", type=float, default=30.0, help="global messages per second")
    parser.add_argument(
        "--lenient", action="store_true", help="token buckets instead of sliding windows"
    )
    args = parser.parse_args()
    limits = Limits(
        enabled=not args.no_limits,
        strict=not args.lenient,
        global_rate=args.rate,
        global_burst=args.rate,
    )
    asyncio.run(serve(args.port, limits))


if __name__ == "__main__":
    main()
