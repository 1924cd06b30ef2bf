"""``appealbot appeals list``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.config import Settings
from storage.engine import create_engine, create_sessionmaker
from storage.enums import AppealStatus
from storage.migrate import require_current
from storage.models import Appeal
from storage.repo.appeals import list_appeals as fetch_appeals
from templates import format_date


def appeal_as_json(appeal: Appeal) -> dict[str, Any]:
    """Return an appeal with its cases, demands, events and targets as plain JSON."""
    return {
        "id": appeal.id,
        "slug": appeal.slug,
        "title": appeal.title,
        "kind": appeal.kind.value,
        "status": appeal.status.value,
        "urgency": appeal.urgency.value,
        "language": appeal.language,
        "issued_on": appeal.issued_on.isoformat() if appeal.issued_on else None,
        "issued_precision": appeal.issued_precision.value,
        "deadline": appeal.deadline.isoformat() if appeal.deadline else None,
        "summary": appeal.summary,
        "source": {"name": appeal.source_name, "url": appeal.source_url},
        "cases": [
            {
                "slug": case.slug,
                "name": case.name,
                "status": case.status.value,
                "names": [name.name for name in case.names],
            }
            for case in appeal.cases
        ],
        "demands": [demand.text for demand in appeal.demands],
        "events": [
            {"date": event.on_date.isoformat(), "label": event.label} for event in appeal.events
        ],
        "targets": [
            {
                "key": link.target.key,
                "kind": link.kind.value,
                "name": link.target.name,
                "role": link.target.role,
                "emails": link.target.emails,
                "phones": link.target.phones,
                "faxes": link.target.faxes,
                "postal_address": link.target.postal_address,
                "note": link.note,
            }
            for link in appeal.targets
        ],
    }


async def list_appeals(settings: Settings, args: argparse.Namespace) -> int:
    """Print appeals newest first, as a table or as JSON."""
    engine = create_engine(settings.database_url)
    try:
        await require_current(engine)
        statuses = tuple(AppealStatus) if args.all else (AppealStatus.PUBLISHED,)
        async with create_sessionmaker(engine)() as session:
            appeals = await fetch_appeals(session, statuses=statuses)
    finally:
        await engine.dispose()
    if args.json:
        print(
            json.dumps([appeal_as_json(appeal) for appeal in appeals], ensure_ascii=False, indent=2)
        )
        return 0
    for appeal in appeals:
        when = format_date(appeal.issued_on, appeal.issued_precision)
        mark = "URGENT" if appeal.urgency == "urgent" else "      "
        print(f"{appeal.id:>5}  {mark}  {when:<14}  {appeal.title}")
    if not appeals:
        print("no appeals yet: `appealbot seed` loads the shipped ones")
    return 0
