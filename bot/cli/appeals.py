"""``appealbot appeals list``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.app import open_app
from bot.config import Settings
from bot.presentation.labels import format_date, standing_mark
from bot.services.appeals import Dated
from storage.models import Appeal
from storage.standing import Standing


def appeal_as_json(appeal: Appeal, standing: Standing | None = None) -> dict[str, Any]:
    """Return an appeal with its cases, demands, events and targets as plain JSON."""
    slugs = {case.id: case.slug for case in appeal.cases}
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
        "standing": standing.value if standing else None,
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
        "demands": [
            {
                "text": demand.text,
                "solidarity": demand.solidarity,
                "case": slugs.get(demand.case_id) if demand.case_id else None,
                "to": [target.key for target in demand.addressees],
            }
            for demand in appeal.demands
        ],
        "events": [
            {
                "date": event.on_date.isoformat(),
                "precision": event.precision.value,
                "kind": event.kind.value,
                "case": slugs.get(event.case_id) if event.case_id else None,
                "label": event.label,
            }
            for event in appeal.events
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
        appeals: list[Dated] = await app.services.appeals.listing(everything=args.all)
    if args.json:
        rows = [appeal_as_json(item.appeal, item.age.standing) for item in appeals]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for item in appeals:
        appeal = item.appeal
        when = format_date(appeal.issued_on, appeal.issued_precision)
        urgent = appeal.urgency == "urgent" and item.age.is_open
        mark = "URGENT" if urgent else standing_mark(item.age.standing).split(" ")[-1] or "open"
        status = "" if appeal.status == "published" else f"  ({appeal.status.value})"
        print(f"{appeal.id:>5}  {mark:<13}  {when:<14}  {appeal.title}{status}")
    if not appeals:
        print("no appeals yet: `appealbot seed` loads the shipped ones")
    return 0
