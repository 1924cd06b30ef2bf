"""Email benchmark: 5,000 appeal emails to an SMTP sink in another process.

    python -m benchmarks.email            # the last line is the JSON result
    python -m benchmarks.email --quick

Our channel (a pool of reused connections, each appeal built once by the email package and
each reader's headers and links filled in) against, in the same run: the same pool building
every message from scratch with the email package, and one connection per message (what
Apprise's email plugin does). Target: pooled >= 1,000 messages/s, and >= 4 x one connection
per message.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import replace
from typing import Any

import aiosmtplib

from benchmarks.common import peak_rss_mb, report
from bot.channels.email import EmailChannel, SmtpOptions
from bot.channels.mail_mime import Sender, build_email
from bot.delivery.channels import Message, Outcome
from bot.presentation.render import Presenter
from core.timing import system_clock
from storage.enums import SubscriberState
from storage.repo.deliveries import Recipient

SENDER = Sender(mail_from="appeals@example.org", public_url="https://appeals.example.org")
TEXT = "An urgent appeal.\n\n" + "What happened, and a letter for each office. " * 60
HTML = "<p>" + TEXT.replace("\n\n", "</p><p>") + "</p>"


class Sink:
    """The SMTP sink process."""

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.port = 0

    async def __aenter__(self) -> Sink:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.smtp_sink",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout=30)
        self.port = int(line.decode().rsplit(" ", 1)[1])
        return self

    async def counts(self) -> dict[str, int]:
        assert self.process is not None
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(b"count\n")
        await self.process.stdin.drain()
        answer: dict[str, int] = json.loads(await self.process.stdout.readline())
        return answer

    async def __aexit__(self, *_exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            await self.process.wait()


def recipient(n: int) -> Recipient:
    return Recipient(
        subscriber_id=n,
        channel="email",
        address=f"reader{n}@example.org",
        kind=None,
        language="en",
        state=SubscriberState.ACTIVE,
        token=f"token-{n:08d}-abcdefghijklmnopq",  # as long as a real one: 32
    )


async def pooled(
    port: int, messages: int, connections: int, *, from_scratch: bool = False
) -> tuple[float, int]:
    """Send through our channel; return seconds and how many it says were sent
    (``from_scratch``: a new message for each reader, so each is built whole)."""
    options = SmtpOptions(host="127.0.0.1", port=port, security="none", connections=connections)
    channel = EmailChannel(
        options, SENDER, rate=100_000.0, presenter=Presenter(), clock=system_clock
    )
    await channel.start()
    message = Message(text=TEXT, html=HTML, subject="Urgent appeal: benchmark")
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(messages):
        queue.put_nowait(n)
    sent = 0

    async def worker() -> None:
        nonlocal sent
        while not queue.empty():
            n = queue.get_nowait()
            to = recipient(n)
            await channel.wait_turn(to)
            one = replace(message) if from_scratch else message
            if (await channel.send(to, one)).outcome is Outcome.SENT:
                sent += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections * 2)))
    seconds = time.perf_counter() - started
    await channel.close()
    return seconds, sent


async def one_connection_each(port: int, messages: int) -> float:
    """Connect, send and quit for every message, one after the other; return seconds."""
    started = time.perf_counter()
    for n in range(messages):
        mail = build_email(
            SENDER,
            f"base{n}@example.org",
            subject="Baseline",
            text=TEXT,
            html=HTML,
            token="t",
            clock=system_clock,
        )
        await aiosmtplib.send(
            mail.data,
            sender=mail.mail_from,
            recipients=[mail.to],
            hostname="127.0.0.1",
            port=port,
            start_tls=False,
            # Named, not looked up for every message: that would measure the machine's DNS.
            local_hostname="bench.example.org",
        )
    return time.perf_counter() - started


async def run(quick: bool) -> dict[str, Any]:
    messages = 500 if quick else 5_000
    baseline_messages = 200 if quick else 1_000
    async with Sink() as sink:
        seconds, sent = await pooled(sink.port, messages, connections=8)
        ours = await sink.counts()
        scratch_seconds, _ = await pooled(
            sink.port, baseline_messages, connections=8, from_scratch=True
        )
        base_seconds = await one_connection_each(sink.port, baseline_messages)
        total = await sink.counts()
    per_s = messages / seconds
    scratch_per_s = baseline_messages / scratch_seconds
    base_per_s = baseline_messages / base_seconds
    return {
        "name": "email",
        "messages": messages,
        "seconds": round(seconds, 3),
        "per_s": round(per_s, 1),
        "connections": 8,
        "built_from_scratch_each_per_s": round(scratch_per_s, 1),
        "one_connection_each_per_s": round(base_per_s, 1),
        "one_connection_each_messages": baseline_messages,
        "ratio": round(per_s / base_per_s, 2),
        "target_per_s": 1_000,
        "target_ratio": 4,
        "meets_target": per_s >= 1_000 and per_s / base_per_s >= 4 and ours["unique"] == messages,
        "peak_rss_mb": peak_rss_mb(),
        "lost": messages - ours["unique"],
        "duplicates": ours["received"] - ours["unique"],
        "baselines_received": total["received"] - ours["received"],
        "reported_sent": sent,
        "http_429": 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    report(asyncio.run(run(parser.parse_args().quick)))


if __name__ == "__main__":
    main()
