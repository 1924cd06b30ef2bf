"""Broadcast benchmarks against the Bot API emulator, each case printing one JSON object.

    python -m benchmarks.broadcast                  # every case; the last line sums them up
    python -m benchmarks.broadcast --case ceiling   # one case; its JSON is the last line

Cases (targets from the delivery-limits issue, on a 2-core machine; the emulator enforces
Telegram's limits as sliding windows, and runs in its own process):
  free         600 subscribers at the default 30/s: >= 29/s, zero 429; in the same run PTB's
               AIORateLimiter(max_retries=3) with gathered sends and a sequential send_message
               loop with sleep(1/30), and our ratio to the better of them (>= 1.12)
  paid         5,000 subscribers at the 1,000/s paid setting: >= 950 delivered/s end to end,
               every outcome persisted
  ceiling      limits off on both sides, 20,000 subscribers; in the same run a plain PTB
               send_message loop, and the ratio (>= 4)
  recovery     kill -9 of `appealbot broadcast --wait` at about a third, then a restart:
               seconds from the restart to the last delivery (<= 15 s + the remaining sends)
  fanout       queueing 100,000 subscribers (<= 2 s); peak RSS of a whole broadcast to
               10,000 and to 100,000 subscribers (<= 200 MB, and flat)
  interactive  /case p95 while a 30/s broadcast to 10,000 runs: <= 300 ms
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from telegram import Bot
from telegram.ext import AIORateLimiter, ExtBot

from benchmarks.common import peak_rss_mb, percentile, report
from benchmarks.keys import BENCH_KEY_TEXT, BENCH_SEALER, sealed
from benchmarks.remote import RemoteEmulator
from bot.app import open_app
from bot.config import Settings
from bot.delivery.figures import follow
from bot.services.actors import Actor
from core.timing import system_clock
from storage.database import Database
from storage.engine import create_engine
from storage.enums import DeliveryState, SubscriberState
from storage.migrate import upgrade
from storage.models import Delivery, Subscriber
from storage.repo.subscribers import new_token
from storage.seeding import default_seed_dir, load_seed_files

APPEAL = 3  # the May Day 2011 appeal
UNLIMITED = 100_000.0


async def build_database(folder: Path, subscribers: int) -> str:
    """Return the URL of a migrated, seeded SQLite file with ``subscribers`` active chats."""
    url = f"sqlite+aiosqlite:///{folder / 'broadcast.db'}"
    await upgrade(url)
    db = Database(create_engine(url), BENCH_SEALER)
    await load_seed_files(db, [default_seed_dir()])
    now = system_clock()
    for start in range(0, subscribers, 10_000):
        rows = [
            {
                "channel": "telegram",
                **sealed("telegram", str(1_000_000 + n)),
                "kind": "private",
                "state": SubscriberState.ACTIVE,
                "language": "en",
                "urgent_only": False,
                "digest": False,
                "unsubscribe_token": new_token(),
                "created_at": now,
                "updated_at": now,
            }
            for n in range(start, min(subscribers, start + 10_000))
        ]
        async with db.unit() as unit:
            await unit.session.execute(insert(Subscriber), rows)
    await db.dispose()
    return url


def bench_settings(
    url: str, api_root: str, token: str, *, rate: float, paid: bool = False
) -> Settings:
    """Return the service's settings for a benchmark run (``paid``: at ``rate``)."""
    return Settings(
        _env_file=None,
        data_key=BENCH_KEY_TEXT,
        database_url=url,
        telegram_token=token,
        telegram_api_url=api_root,
        telegram_rate=30.0 if paid else rate,
        telegram_paid_broadcast=paid,
        telegram_paid_rate=rate,
    )


async def broadcast_once(
    url: str, api_root: str, token: str, *, rate: float, paid: bool = False
) -> dict[str, Any]:
    """Publish the appeal and deliver it to every subscriber; return timings and counts."""
    settings = bench_settings(url, api_root, token, rate=rate, paid=paid)
    async with open_app(settings) as app:
        delivery = app.delivery
        assert delivery is not None
        await delivery.start()
        started = time.monotonic()
        published = await app.services.publishing.publish(APPEAL, actor=Actor("benchmark"))
        queued_in = time.monotonic() - started
        final = await follow(app.db, APPEAL, report=lambda _p: None, every=0.05)
        seconds = time.monotonic() - started
        await delivery.stop()
        async with app.db.read() as session:
            persisted = await session.scalar(
                select(func.count()).where(
                    Delivery.appeal_id == APPEAL, Delivery.state == DeliveryState.SENT
                )
            )
    return {
        "queued": published.queued,
        "enqueue_seconds": round(queued_in, 3),
        "seconds": round(seconds, 3),
        "sent": final.sent,
        "failed": final.failed,
        "gone": final.gone,
        "persisted_sent": persisted,
        "started_at": started,  # this machine's monotonic clock, as the emulator's
    }


async def naive_baseline(api_root: str, token: str, *, messages: int) -> float:
    """Send with a plain PTB loop (default request, no rate limiter); return messages/s."""
    text = "Naive baseline: one message after the other."
    async with Bot(token, base_url=f"{api_root}/bot") as bot:
        started = time.perf_counter()
        for n in range(messages):
            await bot.send_message(2_000_000 + n, text)
        return messages / (time.perf_counter() - started)


async def ptb_rate_limiter_baseline(api_root: str, token: str, *, messages: int) -> float:
    """PTB's own AIORateLimiter(max_retries=3), every send gathered at once; messages/s."""
    text = "PTB's rate limiter: every message gathered at once."
    limiter = AIORateLimiter(max_retries=3)
    async with ExtBot(token, base_url=f"{api_root}/bot", rate_limiter=limiter) as bot:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(bot.send_message(3_000_000 + n, text) for n in range(messages)),
            return_exceptions=True,
        )
        seconds = time.perf_counter() - started
    delivered = sum(1 for result in results if not isinstance(result, BaseException))
    return delivered / seconds


async def paced_loop_baseline(api_root: str, token: str, *, messages: int) -> float:
    """A sequential PTB send_message loop sleeping 1/30 s between sends; messages/s."""
    text = "A paced loop: one message, then a thirtieth of a second."
    async with Bot(token, base_url=f"{api_root}/bot") as bot:
        started = time.perf_counter()
        for n in range(messages):
            await bot.send_message(4_000_000 + n, text)
            await asyncio.sleep(1 / 30)
        return messages / (time.perf_counter() - started)


def _counts(stats: dict[str, Any], subscribers: int) -> dict[str, Any]:
    return {
        "lost": subscribers - stats["chats"],
        "duplicates": stats["duplicates"],
        "http_429": stats["http_429"],
    }


async def case_ceiling(subscribers: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="appealbot-ceiling-"))
    url = await build_database(folder, subscribers)
    async with RemoteEmulator(no_limits=True) as emulator:
        result = await broadcast_once(url, emulator.api_root, emulator.token, rate=UNLIMITED)
        stats = await emulator.stats()
        await emulator.reset()
        naive = await naive_baseline(emulator.api_root, emulator.token, messages=2_000)
    per_s = subscribers / result["seconds"]
    return {
        "name": "broadcast.ceiling",
        "subscribers": subscribers,
        **result,
        "per_s": round(per_s, 1),
        "naive_ptb_per_s": round(naive, 1),
        "ratio_to_naive": round(per_s / naive, 2),
        "target_ratio": 4,
        "meets_target": per_s / naive >= 4 and result["persisted_sent"] == subscribers,
        "peak_rss_mb": peak_rss_mb(),
        **_counts(stats, subscribers),
    }


async def case_free(subscribers: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="appealbot-free-"))
    url = await build_database(folder, subscribers)
    async with RemoteEmulator() as emulator:  # Telegram's limits, strictly
        result = await broadcast_once(url, emulator.api_root, emulator.token, rate=30.0)
        stats = await emulator.stats()
        await emulator.reset()
        ptb_limiter = await ptb_rate_limiter_baseline(
            emulator.api_root, emulator.token, messages=subscribers
        )
        ptb_limiter_429 = (await emulator.stats())["http_429"]
        await emulator.reset()
        paced = await paced_loop_baseline(emulator.api_root, emulator.token, messages=subscribers)
        paced_429 = (await emulator.stats())["http_429"]
    per_s = subscribers / result["seconds"]
    sending = stats["last_sent_at"] - stats["first_sent_at"]
    better = max(ptb_limiter, paced)
    return {
        "name": "broadcast.free",
        "subscribers": subscribers,
        **result,
        "per_s": round(per_s, 2),
        "first_to_last_per_s": round((subscribers - 1) / sending, 2) if sending else None,
        "ptb_rate_limiter_per_s": round(ptb_limiter, 2),
        "ptb_rate_limiter_http_429": ptb_limiter_429,
        "paced_loop_per_s": round(paced, 2),
        "paced_loop_http_429": paced_429,
        "ratio_to_better_peer": round(per_s / better, 3),
        "target_per_s": 29,
        "target_ratio": 1.12,
        "meets_target": per_s >= 29
        and stats["http_429"] == 0
        and per_s / better >= 1.12
        and result["persisted_sent"] == subscribers,
        "peak_rss_mb": peak_rss_mb(),
        **_counts(stats, subscribers),
    }


async def case_paid(subscribers: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="appealbot-paid-"))
    url = await build_database(folder, subscribers)
    async with RemoteEmulator() as emulator:  # strict: 1,000 paid messages in any second
        result = await broadcast_once(
            url, emulator.api_root, emulator.token, rate=1_000.0, paid=True
        )
        stats = await emulator.stats()
    per_s = subscribers / result["seconds"]
    sending = stats["last_sent_at"] - stats["first_sent_at"]
    started = result.pop("started_at")
    return {
        "name": "broadcast.paid",
        "first_send_after_s": round(stats["first_sent_at"] - started, 3),
        "last_send_after_s": round(stats["last_sent_at"] - started, 3),
        "subscribers": subscribers,
        **result,
        "per_s": round(per_s, 1),
        "first_to_last_per_s": round((subscribers - 1) / sending, 1) if sending else None,
        "target_per_s": 950,
        "meets_target": per_s >= 950 and result["persisted_sent"] == subscribers,
        "peak_rss_mb": peak_rss_mb(),
        **_counts(stats, subscribers),
    }


async def case_recovery(subscribers: int, rate: float) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="appealbot-recovery-"))
    url = await build_database(folder, subscribers)
    async with RemoteEmulator() as emulator:
        env = {key: value for key, value in os.environ.items() if not key.startswith("APPEALBOT_")}
        env.update(
            APPEALBOT_DATABASE_URL=url,
            APPEALBOT_DATA_KEY=BENCH_KEY_TEXT,
            APPEALBOT_TELEGRAM_TOKEN=emulator.token,
            APPEALBOT_TELEGRAM_API_URL=emulator.api_root,
            APPEALBOT_TELEGRAM_PAID_BROADCAST="true",
            APPEALBOT_TELEGRAM_PAID_RATE=str(rate),
        )
        command = [sys.executable, "-m", "bot", "broadcast", str(APPEAL), "--wait"]
        first = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        # The emulator is another process: its counters can only be polled.
        while (await emulator.stats())["delivered"] < subscribers * 0.35:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        first.kill()
        await first.wait()
        killed_at = (await emulator.stats())["delivered"]
        restarted = time.monotonic()
        second = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        await second.wait()
        stats = await emulator.stats()
    after_restart = stats["last_sent_at"] - restarted
    remaining = max(0, subscribers - killed_at) / rate
    return {
        "name": "broadcast.recovery",
        "subscribers": subscribers,
        "rate": rate,
        "killed_at": killed_at,
        "seconds": round(after_restart, 2),
        "remaining_sends_seconds": round(remaining, 2),
        "per_s": round(subscribers / max(after_restart, 0.001), 1),
        "target_seconds": round(15 + remaining, 2),
        "meets_target": after_restart <= 15 + remaining
        and stats["chats"] == subscribers
        and second.returncode == 0,
        "peak_rss_mb": peak_rss_mb(),
        "repeats": stats["duplicates"],
        **_counts(stats, subscribers),
    }


async def fanout_worker(url: str, subscribers: int) -> dict[str, Any]:
    """One whole broadcast in a fresh process, so that its peak memory is its own."""
    async with RemoteEmulator(no_limits=True) as emulator:
        result = await broadcast_once(url, emulator.api_root, emulator.token, rate=UNLIMITED)
        stats = await emulator.stats()
    return {
        **result,
        "subscribers": subscribers,
        "peak_rss_mb": peak_rss_mb(),
        "lost": subscribers - stats["chats"],
        "duplicates": stats["duplicates"],
        "http_429": stats["http_429"],
    }


def _run_worker(subscribers: int) -> dict[str, Any]:
    # The database is filled here, not in the worker: the worker's peak memory is then that
    # of the broadcast alone.
    folder = Path(tempfile.mkdtemp(prefix="appealbot-fanout-"))
    url = asyncio.run(build_database(folder, subscribers))
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.broadcast",
            "--fanout-worker",
            str(subscribers),
            "--database",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "APPEALBOT_DATA_KEY": BENCH_KEY_TEXT},
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


async def case_fanout(small: int, large: int) -> dict[str, Any]:
    runs = [await asyncio.to_thread(_run_worker, size) for size in (small, large)]
    growth = runs[1]["peak_rss_mb"] - runs[0]["peak_rss_mb"]
    return {
        "name": "broadcast.fanout",
        "subscribers": large,
        "enqueue_seconds": runs[1]["enqueue_seconds"],
        "enqueue_per_s": round(large / runs[1]["enqueue_seconds"], 1),
        "seconds": runs[1]["seconds"],
        "per_s": round(large / runs[1]["seconds"], 1),
        "peak_rss_mb_small": runs[0]["peak_rss_mb"],
        "peak_rss_mb_large": runs[1]["peak_rss_mb"],
        "subscribers_small": small,
        "rss_growth_mb": round(growth, 1),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs),
        "target_enqueue_seconds": 2.0,
        "target_peak_rss_mb": 200,
        "meets_target": runs[1]["enqueue_seconds"] <= 2.0
        and max(run["peak_rss_mb"] for run in runs) <= 200,
        "lost": sum(run["lost"] for run in runs),
        "duplicates": sum(run["duplicates"] for run in runs),
        "http_429": sum(run["http_429"] for run in runs),
    }


async def case_interactive(subscribers: int, seconds: float) -> dict[str, Any]:
    from emulator import BotApiEmulator
    from tests.support.bot import running_bot

    folder = Path(tempfile.mkdtemp(prefix="appealbot-interactive-"))
    url = await build_database(folder, subscribers)
    latencies: list[float] = []
    lost = 0
    async with BotApiEmulator() as emulator, running_bot(emulator, url):
        settings = bench_settings(url, emulator.api_root, emulator.token, rate=30.0)
        async with open_app(settings) as app:
            await app.services.publishing.publish(APPEAL, actor=Actor("benchmark"))
        await emulator.wait_until(lambda: emulator.stats["delivered"] >= 30, timeout=30)
        started = time.monotonic()
        broadcast_start = emulator.stats["delivered"]
        n = 0
        while time.monotonic() - started < seconds:
            chat = 500 + n
            n += 1
            asked = time.monotonic()
            emulator.send_text(chat, "/case Kuramshin")
            try:
                [answer, *_] = await emulator.wait_for_messages(chat, 1, timeout=5, settle=0)
            except TimeoutError:
                lost += 1
                continue
            latencies.append((answer.monotonic - asked) * 1000)
            await asyncio.sleep(0.5)
        elapsed = time.monotonic() - started
        sent_during = emulator.stats["delivered"] - broadcast_start - len(latencies)
        stats = emulator.stats
    p95 = percentile(latencies, 0.95)
    return {
        "name": "broadcast.interactive",
        "subscribers": subscribers,
        "queries": len(latencies) + lost,
        "seconds": round(elapsed, 1),
        "per_s": round(sent_during / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "target_p95_ms": 300,
        "meets_target": p95 <= 300 and lost == 0,
        "peak_rss_mb": peak_rss_mb(),
        "lost": lost,
        "duplicates": stats["duplicates"],
        "http_429": stats["http_429"],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.fanout_worker:
        return await fanout_worker(args.database, args.fanout_worker)
    quick = args.quick
    cases = {
        "free": lambda: case_free(150 if quick else 600),
        "paid": lambda: case_paid(1_000 if quick else 5_000),
        "ceiling": lambda: case_ceiling(2_000 if quick else 20_000),
        "recovery": lambda: case_recovery(600 if quick else 3_000, 200.0),
        "fanout": lambda: case_fanout(1_000 if quick else 10_000, 10_000 if quick else 100_000),
        "interactive": lambda: case_interactive(
            1_000 if quick else 10_000, 10.0 if quick else 60.0
        ),
    }
    chosen = list(cases) if args.case == "all" else [args.case]
    results = {}
    for name in chosen:
        results[name] = await cases[name]()
        if len(chosen) > 1:
            report(results[name])
    if len(chosen) == 1:
        return results[chosen[0]]
    return {
        "name": "broadcast",
        "subscribers": results.get("ceiling", {}).get("subscribers"),
        "seconds": round(sum(r["seconds"] for r in results.values()), 1),
        "per_s": results.get("ceiling", {}).get("per_s"),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results.values()),
        "lost": sum(r["lost"] for r in results.values()),
        "duplicates": sum(r["duplicates"] for r in results.values()),
        "http_429": sum(r["http_429"] for r in results.values()),
        "meets_targets": all(r["meets_target"] for r in results.values()),
        "cases": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--case",
        choices=["all", "free", "paid", "ceiling", "recovery", "fanout", "interactive"],
        default="all",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--fanout-worker", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--database", default="", help=argparse.SUPPRESS)
    report(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
