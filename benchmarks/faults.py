"""Channels at their own pace: a broadcast to Telegram and e-mail readers, the relay working
or hung, each case printing one JSON object.

    python -m benchmarks.faults                   # both cases; the last line sums them up
    python -m benchmarks.faults --case hung       # one case; its JSON is the last line

Cases (targets from the faults issue, on a 2-core machine; the Bot API emulator enforces
Telegram's limits and runs in its own process, the SMTP sink in this one):
  relay   3,000 Telegram and 8,000 e-mail readers, e-mail queued first: Telegram's first
          message within 5 s of publishing, >= 29/s, zero 429, every e-mail sent
  hung    the same while the relay takes connections and answers nothing for a minute:
          Telegram as above, and every e-mail sent once the relay is back
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from benchmarks.broadcast import APPEAL, build_database
from benchmarks.common import peak_rss_mb, report
from benchmarks.keys import BENCH_KEY_TEXT, sealed
from benchmarks.remote import RemoteEmulator
from bot.app import open_app
from bot.config import Settings
from bot.services.actors import Actor
from core.timing import system_clock
from emulator.mailbox import Sink, smtp_server
from storage.database import Database
from storage.enums import DeliveryState, SubscriberState
from storage.models import Delivery, Subscriber
from storage.repo.subscribers import new_token

HUNG_FOR = 60.0


async def add_email_readers(db: Database, readers: int) -> None:
    """Add active, confirmed e-mail readers."""
    now = system_clock()
    rows = [
        {
            "channel": "email",
            **sealed("email", f"reader{n}@example.org"),
            "state": SubscriberState.ACTIVE,
            "language": "en",
            "urgent_only": False,
            "digest": False,
            "unsubscribe_token": new_token(),
            "confirmed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(readers)
    ]
    async with db.unit() as unit:
        await unit.session.execute(insert(Subscriber), rows)


async def _sent(app: Any, channel: str) -> int:
    async with app.db.read() as session:
        found = await session.scalar(
            select(func.count()).where(
                Delivery.appeal_id == APPEAL,
                Delivery.channel == channel,
                Delivery.state == DeliveryState.SENT,
            )
        )
    return int(found or 0)


async def case(name: str, *, chats: int, readers: int, hung: bool) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"appealbot-faults-{name}-"))
    url = await build_database(folder, chats)
    sink = Sink(hold=asyncio.Event() if hung else None)
    async with smtp_server(sink) as port, RemoteEmulator() as emulator:
        settings = Settings(
            _env_file=None,
            data_key=BENCH_KEY_TEXT,
            database_url=url,
            telegram_token=emulator.token,
            telegram_api_url=emulator.api_root,
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security="none",
            mail_from="appeals@example.org",
            smtp_rate=400.0,
            email_check_deliverability=False,
        )
        async with open_app(settings) as app:
            await add_email_readers(app.db, readers)
            delivery = app.delivery
            assert delivery is not None
            await delivery.start()
            started = time.monotonic()
            await app.services.publishing.publish(APPEAL, actor=Actor("benchmark"))
            if sink.hold is not None:
                asyncio.get_running_loop().call_later(HUNG_FOR, sink.hold.set)
            # Another process and the database know: asked every quarter second.
            while (await emulator.stats())["delivered"] < chats:  # noqa: ASYNC110
                await asyncio.sleep(0.25)
            telegram_done = time.monotonic() - started
            email_during = len(sink.messages)
            deadline = time.monotonic() + 600
            while await _sent(app, "email") < readers and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.25)
            seconds = time.monotonic() - started
            stats = await emulator.stats()
            await delivery.stop()
            telegram_sent, email_sent = await _sent(app, "telegram"), await _sent(app, "email")
    sending = stats["last_sent_at"] - stats["first_sent_at"]
    per_s = (chats - 1) / sending if sending else 0.0
    first = stats["first_sent_at"] - started
    return {
        "name": f"faults.{name}",
        "telegram_readers": chats,
        "email_readers": readers,
        "relay_hung_s": HUNG_FOR if hung else 0,
        "telegram_first_after_s": round(first, 3),
        "telegram_per_s": round(per_s, 2),
        "telegram_done_after_s": round(telegram_done, 2),
        "telegram_http_429": stats["http_429"],
        "emails_while_telegram_went": email_during,
        "seconds": round(seconds, 2),
        "telegram_sent": telegram_sent,
        "email_sent": email_sent,
        "email_messages_received": len(sink.messages),
        "target_first_s": 5,
        "target_per_s": 29,
        "meets_target": first <= 5
        and per_s >= 29
        and stats["http_429"] == 0
        and telegram_sent == chats
        and email_sent == readers,
        "peak_rss_mb": peak_rss_mb(),
    }


CASES = {"relay": False, "hung": True}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=sorted(CASES))
    parser.add_argument("--chats", type=int, default=3_000)
    parser.add_argument("--readers", type=int, default=8_000)
    args = parser.parse_args()
    names = [args.case] if args.case else list(CASES)
    results = []
    for name in names:
        result = await case(name, chats=args.chats, readers=args.readers, hung=CASES[name])
        print(json.dumps(result))
        results.append(result)
    if len(results) == 1:
        return
    report(
        {
            "name": "faults",
            "cases": {r["name"]: r["meets_target"] for r in results},
            "meets_target": all(r["meets_target"] for r in results),
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
