"""How well drafts are read from appeals a person has checked, and how fast and small it is.

Without arguments it reads tests/fixtures/evaluation/appeals.yaml (appeals in the shapes
networks publish, with the fields a person would sign off), drafts each as `appealbot import`
does, nine months after the newest of them, and prints one JSON object: per field, precision
(of what was read, how much is right) and recall (of what is there, how much was read), and
each appeal's misses. With ``--corpus DIR`` it scores a folder of real appeals labelled by hand
(``*.txt``, ``expected.json``, ``sources.json``) by that folder's rules, each text imported
through the service as `appealbot import --dry-run --json` does.

Both report the import of a 10 kB appeal (warm, p50 and p95, in ms) and the process's
memory before the first import and after the runs.

    python -m benchmarks.extraction [--corpus DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import peak_rss_mb, percentile, report
from benchmarks.keys import BENCH_KEY_TEXT
from benchmarks.real_appeals import load, score_file, summary
from bot.app import Migrate, open_app
from bot.cli.importing import draft_entry
from bot.config import Settings
from bot.extract.draft import DraftData, extract_draft
from bot.services.case_index import CaseIndex
from storage.enums import TargetKind

CORPUS = Path(__file__).parent.parent / "tests" / "fixtures" / "evaluation" / "appeals.yaml"
# Read long after they were written: a year taken from today would show as wrong.
TODAY = date(2026, 12, 2)
SINGLE = ("title", "own_date", "case", "place", "deadline")
SETS = ("events", "targets", "emails", "phones", "faxes", "addresses", "copies")


@dataclass
class Tally:
    """Counts for one field over the corpus."""

    right: int = 0
    read: int = 0
    there: int = 0
    misses: list[str] = field(default_factory=list)

    def scores(self) -> dict[str, float | None]:
        return {
            "precision": round(self.right / self.read, 3) if self.read else None,
            "recall": round(self.right / self.there, 3) if self.there else None,
        }


def _digits(values: Iterable[str]) -> set[str]:
    return {re.sub(r"\D", "", value) for value in values}


def read_fields(data: DraftData) -> dict[str, Any]:
    """Return a draft's fields in the corpus's terms."""
    protest = [t for t in data.targets if t.kind is not TargetKind.COPY_TO]
    copies = [t for t in data.targets if t.kind is TargetKind.COPY_TO]
    return {
        "title": data.title,
        "own_date": data.issued_on,
        "case": data.cases[0].name if data.cases else None,
        "place": data.place,
        "deadline": data.deadline,
        # An event whose year the text does not give is not a date yet.
        "events": {event.on for event in data.events if event.year_known},
        "targets": {t.name.lower() for t in protest},
        "addresses": {t.postal_address.lower() for t in protest if t.postal_address},
        "emails": {email.lower() for t in protest for email in t.emails},
        "phones": _digits(phone for t in data.targets for phone in t.phones),
        "faxes": _digits(fax for t in data.targets for fax in t.faxes),
        "copies": {email.lower() for t in copies for email in t.emails},
        "demands": len([d for d in data.demands if not d.solidarity]),
    }


def _expected(expect: dict[str, Any]) -> dict[str, Any]:
    return {
        **{name: expect.get(name) for name in SINGLE},
        "events": set(expect.get("events") or []),
        "targets": {name.lower() for name in expect.get("targets") or []},
        "addresses": {address.lower() for address in expect.get("addresses") or []},
        "emails": {email.lower() for email in expect.get("emails") or []},
        "phones": _digits(expect.get("phones") or []),
        "faxes": _digits(expect.get("faxes") or []),
        "copies": {email.lower() for email in expect.get("copies") or []},
        "demands": int(expect.get("demands") or 0),
    }


def evaluate(corpus: Path = CORPUS) -> dict[str, Any]:
    """Draft every appeal of the corpus; return the scores per field."""
    items = yaml.safe_load(corpus.read_text(encoding="utf-8"))
    tallies = {name: Tally() for name in (*SINGLE, *SETS, "demands")}
    for item in items:
        got = read_fields(extract_draft(item["text"], today=TODAY, index=CaseIndex()))
        want = _expected(item["expect"])
        for name in SINGLE:
            tally = tallies[name]
            tally.read += got[name] is not None
            tally.there += want[name] is not None
            if got[name] is not None and got[name] == want[name]:
                tally.right += 1
            elif got[name] != want[name]:
                tally.misses.append(f"{item['id']}: {got[name]!s} (want {want[name]!s})")
        for name in SETS:
            tally = tallies[name]
            tally.read += len(got[name])
            tally.there += len(want[name])
            tally.right += len(got[name] & want[name])
            if got[name] != want[name]:
                wrong = sorted(map(str, got[name] - want[name]))
                missed = sorted(map(str, want[name] - got[name]))
                tally.misses.append(f"{item['id']}: extra {wrong}, missed {missed}")
        tally = tallies["demands"]
        tally.read += got["demands"]
        tally.there += want["demands"]
        tally.right += min(got["demands"], want["demands"])
        if got["demands"] != want["demands"]:
            tally.misses.append(f"{item['id']}: {got['demands']} (want {want['demands']})")
    return {
        "benchmark": "extraction",
        "appeals": len(items),
        "fields": {name: tally.scores() for name, tally in tallies.items()},
        "misses": {name: tally.misses for name, tally in tallies.items() if tally.misses},
    }


SAMPLE_SIZE = 10_000


def sample_text(texts: list[str]) -> str:
    """Return a 10 kB appeal made of the given texts (the first one's title heads it)."""
    joined = "\n\n".join(texts)
    while len(joined) < SAMPLE_SIZE:
        joined += "\n\n" + joined
    return joined[:SAMPLE_SIZE]


async def through_the_service(texts: list[str], runs: int) -> tuple[list[Any], dict[str, Any]]:
    """Import each text (dry run) through the service; time a 10 kB import ``runs`` times."""
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,
            data_key=BENCH_KEY_TEXT,
            database_url=f"sqlite+aiosqlite:///{folder}/b.db",
        )
        async with open_app(settings, migrate=Migrate.UPGRADE) as app:
            before = peak_rss_mb()
            drafts = []
            for text in texts:
                data, _ = await app.services.imports.import_text(text, dry_run=True)
                drafts.append(draft_entry(data))
            sample = sample_text(texts)
            await app.services.imports.import_text(sample, dry_run=True)  # warm
            took = []
            for _ in range(runs):
                started = time.perf_counter()
                await app.services.imports.import_text(sample, dry_run=True)
                took.append((time.perf_counter() - started) * 1000)
    speed = {
        "import_10kb_ms": {
            "p50": round(percentile(took, 0.5), 1),
            "p95": round(percentile(took, 0.95), 1),
            "runs": runs,
        },
        "rss_mb": {"service_open": before, "after_imports": peak_rss_mb()},
    }
    return drafts, speed


def score_corpus(corpus: Path, runs: int) -> dict[str, Any]:
    """Score a folder of real appeals by its rules, imported as `appealbot import` does."""
    found, unlabelled = load(corpus)
    texts = [path.read_text(encoding="utf-8") for path, _labels, _language in found]
    drafts, speed = asyncio.run(through_the_service(texts, runs))
    scored = [
        score_file(path.name, labels, draft, language)
        for (path, labels, language), draft in zip(found, drafts, strict=True)
    ]
    return {
        "benchmark": "extraction",
        "corpus": str(corpus),
        "unlabelled": unlabelled,
        **summary(scored),
        **speed,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="a folder of labelled real appeals")
    parser.add_argument("--runs", type=int, default=30, help="timed 10 kB imports")
    args = parser.parse_args(argv)
    if args.corpus is not None:
        return score_corpus(args.corpus, args.runs)
    items = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    _drafts, speed = asyncio.run(through_the_service([item["text"] for item in items], args.runs))
    return {**evaluate(), **speed}


if __name__ == "__main__":
    report(main())
