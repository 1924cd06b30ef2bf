"""``appealbot appeals list``."""

from __future__ import annotations

import argparse
import json

from bot.app import open_app
from bot.config import Settings
from bot.presentation.documents import appeal_as_json
from bot.presentation.labels import format_date, standing_mark
from bot.services.appeals import AgedAppeal


async def list_appeals(settings: Settings, args: argparse.Namespace) -> int:
    """Print appeals newest first, as a table or as JSON."""
    async with open_app(settings) as app:
        appeals: list[AgedAppeal] = await app.services.appeals.listing(everything=args.all)
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
