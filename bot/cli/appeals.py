"""``appealbot appeals list``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.app import open_app
from bot.config import Settings
from bot.presentation.labels import format_date
from storage.models import Appeal


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
    async with open_app(settings) as app:
        appeals = await app.services.appeals.listing(everything=args.all)
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
