"""``appealbot import``: appeals read from text files into draft appeals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.extract.draft import DraftData, extract_draft
from bot.services.appeal_writer import AppealWriter
from bot.services.case_index import CaseIndex
from storage.database import Database
from storage.enums import AppealKind


class ImportService:
    """Read appeals from text into draft appeals."""

    def __init__(
        self,
        db: Database,
        *,
        index: CaseIndex,
        writer: AppealWriter,
        today: Callable[[], date],
    ) -> None:
        self._db = db
        self._index = index
        self._writer = writer
        self._today = today

    async def import_text(self, text: str, *, dry_run: bool) -> tuple[DraftData, int | None]:
        """Read a text file's appeal into a draft appeal (stored unless ``dry_run``)."""
        async with self._db.unit() as unit:
            await self._index.refresh(unit.session)
            data = extract_draft(text, today=self._today(), index=self._index)
            if dry_run:
                return data, None
            appeal = await self._writer.save(
                unit, data, kind=AppealKind.APPEAL, urgency=data.urgency, created_by=None
            )
            return data, appeal.id
