"""``appealbot import FILE... [--dry-run] [--json]``: free text to draft appeals."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.app import Migrate, open_app
from bot.config import Settings
from bot.extract.draft import DraftData
from core.errors import BadInputError


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise BadInputError(f"{path}: {exc.strerror or exc}") from None


def draft_entry(data: DraftData) -> dict[str, Any]:
    """Return a draft as ``--json`` prints it: its fields (not the text) and its warnings."""
    entry = data.model_dump(mode="json", exclude={"text"})
    entry["warnings"] = data.warnings()
    return entry


async def import_files(settings: Settings, args: argparse.Namespace) -> int:
    """Read each file as an appeal; store it as a draft unless --dry-run."""
    drafts: list[dict[str, Any]] = []
    failed = 0
    async with open_app(settings, migrate=Migrate.UPGRADE) as app:
        for path in args.files:
            try:
                data, appeal_id = await app.services.imports.import_text(
                    _read(path), dry_run=args.dry_run
                )
            except BadInputError as problem:
                failed += 1
                print(f"appealbot: {path}: {problem}", file=sys.stderr)
                continue
            drafts.append({"file": str(path), "appeal_id": appeal_id, **draft_entry(data)})
            if not args.json:
                contacts = sum(
                    len(t.emails) + len(t.phones) + len(t.faxes) + bool(t.postal_address)
                    for t in data.targets
                )
                saved = f"draft appeal {appeal_id}" if appeal_id else "not saved (--dry-run)"
                print(
                    f"{path}: {saved}: {data.title} · {len(data.cases)} case(s), "
                    f"{len(data.events)} date(s), {len(data.demands)} demand(s), "
                    f"{contacts} contact(s)"
                )
                for warning in data.warnings():
                    print(f"  ! {warning}")
    if args.json:
        print(json.dumps(drafts, ensure_ascii=False, indent=2))
    elif drafts and not args.dry_run:
        print("publish one with: appealbot broadcast <number>")
    return 2 if failed else 0
