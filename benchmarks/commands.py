"""/case latency through the real handler path, with 10,000 cases in the database.

Runs the service against the Bot API emulator in its own process, as Telegram would be
(limits off, so only our code is measured): each query is a user message that travels
getUpdates -> PTB -> handler -> SQLite -> template -> sendMessage. Latency is measured by the
emulator, from the moment the update is queued to the moment the reply arrives.

    python -m benchmarks.commands [--cases 10000] [--queries 500]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import insert, select

from benchmarks.common import peak_rss_mb, percentile, report
from benchmarks.keys import BENCH_SEALER
from benchmarks.remote import RemoteEmulator, running_service
from storage.database import Database
from storage.engine import create_engine
from storage.enums import AppealKind, AppealStatus, CaseStatus, DatePrecision, Urgency
from storage.migrate import upgrade
from storage.models import Appeal, Case, CaseName, appeal_cases
from storage.names import search_key
from storage.seeding import default_seed_dir, load_seed_files

SYLLABLES = ["ka", "ra", "mo", "ny", "sh", "te", "li", "zo", "gu", "be", "da", "ve", "ro", "in"]
CYRILLIC_SYLLABLES = [
    "ка",
    "ра",
    "мо",
    "ны",
    "ш",
    "те",
    "ли",
    "зо",
    "гу",
    "бе",
    "да",
    "ве",
    "ро",
    "ин",
]
CYRILLIC = dict(zip(SYLLABLES, CYRILLIC_SYLLABLES, strict=True))
TARGET_P95_MS = 20.0


def _name(rng: random.Random) -> tuple[str, str]:
    first = [rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))]
    last = [rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))] + ["ov"]
    latin = "".join(first).title() + " " + "".join(last).title()
    cyrillic = (
        "".join(CYRILLIC[s] for s in first).title()
        + " "
        + ("".join(CYRILLIC[s] for s in last[:-1]) + "ов").title()
    )
    return latin, cyrillic


async def build_database(url: str, cases: int, rng: random.Random) -> list[tuple[str, str]]:
    """Migrate, seed, and add ``cases`` cases with two names each and an appeal per ten."""
    await upgrade(url)
    db = Database(create_engine(url), BENCH_SEALER)
    await load_seed_files(db, [default_seed_dir()])
    names: list[tuple[str, str]] = []
    now = datetime.now(UTC)
    async with db.unit() as unit:
        session = unit.session
        case_rows, name_rows = [], []
        for n in range(cases):
            latin, cyrillic = _name(rng)
            names.append((latin, cyrillic))
            case_rows.append(
                {
                    "slug": f"bench-{n}",
                    "name": latin,
                    "country": "KZ",
                    "place": "Almaty",
                    "status": CaseStatus.OPEN,
                    "summary": f"Synthetic case {n} for the benchmark. " * 5,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await session.execute(insert(Case), case_rows)
        rows = await session.execute(select(Case.slug, Case.id))
        ids = {row.slug: row.id for row in rows}
        for n, (latin, cyrillic) in enumerate(names):
            case_id = ids[f"bench-{n}"]
            name_rows.append({"case_id": case_id, "name": latin, "search_key": search_key(latin)})
            name_rows.append(
                {"case_id": case_id, "name": cyrillic, "search_key": search_key(cyrillic)}
            )
        await session.execute(insert(CaseName), name_rows)
        appeal_rows = [
            {
                "slug": f"bench-appeal-{n}",
                "title": f"Appeal {n}",
                "summary": "Synthetic appeal. " * 10,
                "kind": AppealKind.APPEAL,
                "urgency": Urgency.URGENT,
                "status": AppealStatus.PUBLISHED,
                "language": "en",
                "issued_on": date(2020, 1, 1),
                "issued_precision": DatePrecision.DAY,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(cases // 10)
        ]
        await session.execute(insert(Appeal), appeal_rows)
        rows = await session.execute(select(Appeal.slug, Appeal.id))
        appeal_ids = {row.slug: row.id for row in rows}
        links = [
            {"appeal_id": appeal_ids[f"bench-appeal-{n}"], "case_id": ids[f"bench-{n * 10}"]}
            for n in range(cases // 10)
        ]
        await session.execute(insert(appeal_cases), links)
    await db.dispose()
    return names


def _typo(name: str, rng: random.Random) -> str:
    surname = name.split()[-1]
    position = rng.randrange(1, len(surname) - 1)
    return surname[:position] + surname[position + 1 :]


async def measure(cases: int, queries: int, rate: float, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="appealbot-bench-"))
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    names = await build_database(url, cases, rng)
    latencies: list[float] = []
    lost = 0
    async with RemoteEmulator(no_limits=True) as emulator, running_service(emulator, url):
        for warm in range(5):
            await emulator.ask(10 + warm, f"/case {names[warm][0]}")
        started = time.perf_counter()
        for n in range(queries):
            # One query every 1/rate s: under Telegram's global 30/s, as real users arrive.
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            latin, cyrillic = names[rng.randrange(len(names))]
            query = rng.choice([latin, cyrillic, latin.split()[-1], _typo(latin, rng)])
            latency = await emulator.ask(1_000 + n, f"/case {query}")
            if latency is None:
                lost += 1
            else:
                latencies.append(latency)
        seconds = time.perf_counter() - started
        stats = await emulator.stats()
    p95 = percentile(latencies, 0.95)
    return {
        "name": "commands",
        "cases": cases,
        "queries": queries,
        "arrival_per_s": rate,
        "seconds": round(seconds, 3),
        "per_s": round(queries / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(p95, 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(max(latencies), 2) if latencies else None,
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": p95 <= TARGET_P95_MS,
        "peak_rss_mb": peak_rss_mb(),
        "lost": lost,
        "duplicates": stats["duplicates"],
        "http_429": stats["http_429"],
        "bad_requests": stats["bad_requests"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20.0, help="queries per second")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    report(asyncio.run(measure(args.cases, args.queries, args.rate, args.seed)))


if __name__ == "__main__":
    main()
