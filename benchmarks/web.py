"""An appeal's public page under load: against a bare aiohttp handler sending the same bytes,
then while a 30/s broadcast to 10,000 Telegram subscribers runs in the same process.

The pages and the broadcast run in this process, as `appealbot run` runs them; the load comes
from another process (one client, keep-alive connections), and the Bot API emulator, with
Telegram's limits enforced strictly, from a third.

    python -m benchmarks.web [--subscribers 10000] [--seconds 8] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from benchmarks.broadcast import APPEAL, build_database
from benchmarks.common import peak_rss_mb, percentile, report
from benchmarks.keys import BENCH_KEY_TEXT
from benchmarks.remote import RemoteEmulator
from bot.app import open_app
from bot.config import Settings
from bot.services.actors import Actor
from bot.web import start_web
from bot.web.pages import Pages
from tests.support.smtp import free_port

GOALS = {"page_vs_bare": 0.7, "broadcast_rate": 28.0, "page_p95_ms_during_broadcast": 50.0}


async def load(url: str, *, seconds: float, concurrency: int) -> dict[str, Any]:
    """Request ``url`` from ``concurrency`` connections for ``seconds``; count and time."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            nonlocal errors
            while time.monotonic() < deadline:
                started = time.perf_counter()
                async with http.get(url) as answer:
                    await answer.read()
                    if answer.status != 200:
                        errors += 1
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        took = time.monotonic() - started
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / took, 1),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "errors": errors,
    }


async def load_from_elsewhere(url: str, *, seconds: float, concurrency: int) -> dict[str, Any]:
    """Run ``load`` in another process, so that it does not share this one's event loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.web",
        "--load",
        url,
        "--seconds",
        str(seconds),
        "--concurrency",
        str(concurrency),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


async def bare_server(body: bytes) -> tuple[web.AppRunner, str]:
    """Serve ``body`` from a handler that does nothing else: the ceiling to compare with."""

    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}/"


async def run(subscribers: int, seconds: float, concurrency: int) -> dict[str, Any]:
    """Measure the page alone, the bare handler, then the page during a broadcast."""
    folder = Path(tempfile.mkdtemp(prefix="appealbot-web-bench-"))
    url = await build_database(folder, subscribers)
    port = free_port()
    async with RemoteEmulator() as emulator:  # Telegram's limits, strictly
        settings = Settings(
            _env_file=None,
            data_key=BENCH_KEY_TEXT,
            database_url=url,
            telegram_token=emulator.token,
            telegram_api_url=emulator.api_root,
            telegram_rate=30.0,
            http_port=port,
            public_url=f"http://127.0.0.1:{port}",
            bot_username="appeals_bench_bot",
        )
        async with open_app(settings) as app:
            runner = await start_web(
                settings, app.services, Pages(app.presenter.templates), app.site
            )
            found = await app.services.public.appeal_ref(str(APPEAL))
            assert found is not None
            page = f"http://127.0.0.1:{port}/appeals/{found.slug}?lang=en"
            async with aiohttp.ClientSession() as http, http.get(page) as answer:
                body = await answer.read()
            bare, bare_url = await bare_server(body)
            print("measuring the bare handler", file=sys.stderr)
            baseline = await load_from_elsewhere(bare_url, seconds=seconds, concurrency=concurrency)
            print("measuring the page", file=sys.stderr)
            alone = await load_from_elsewhere(page, seconds=seconds, concurrency=concurrency)

            delivery = app.delivery
            assert delivery is not None
            await delivery.start()
            await app.services.publishing.publish(APPEAL, actor=Actor("benchmark"))
            # Into its stride first: the window measures the steady rate, not the start.
            while (await emulator.stats())["delivered"] < 60:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            print("broadcasting; measuring the page", file=sys.stderr)
            before = await emulator.stats()
            started = time.monotonic()
            during = await load_from_elsewhere(page, seconds=seconds * 2, concurrency=concurrency)
            took = time.monotonic() - started
            after = await emulator.stats()
            await delivery.stop()
            for server in (runner, bare):
                # A keep-alive connection the load left may hold a server open: not for long.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(server.cleanup(), 3)
    sent = after["delivered"] - before["delivered"]
    ratio = alone["per_second"] / baseline["per_second"]
    rate = sent / took
    return {
        "benchmark": "web",
        "page_bytes": len(body),
        "bare": baseline,
        "page": alone,
        "page_vs_bare": round(ratio, 2),
        "during_broadcast": {
            "page": during,
            "broadcast_per_second": round(rate, 2),
            "http_429": after["http_429"],
            "subscribers": subscribers,
        },
        "goals": GOALS,
        "met": {
            "page_vs_bare": ratio >= GOALS["page_vs_bare"],
            "broadcast_rate": rate >= GOALS["broadcast_rate"] and after["http_429"] == 0,
            "page_p95_ms_during_broadcast": during["p95_ms"]
            <= GOALS["page_p95_ms_during_broadcast"],
        },
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        report(asyncio.run(load(args.load, seconds=args.seconds, concurrency=args.concurrency)))
        return
    report(asyncio.run(run(args.subscribers, args.seconds, args.concurrency)))


if __name__ == "__main__":
    main()
