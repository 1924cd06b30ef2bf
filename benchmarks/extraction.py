"""How well drafts are read from appeals a person has checked: precision and recall per field.

Reads tests/fixtures/evaluation/appeals.yaml (appeals in the shapes networks publish, with the
fields a person would sign off), drafts each as `appealbot import` does, nine months after
the newest of them, and prints one JSON object: per field, precision (of what was read, how
much is right) and recall (of what is there, how much was read), and each appeal's misses.

    python -m benchmarks.extraction
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import report
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


if __name__ == "__main__":
    report(evaluate())
