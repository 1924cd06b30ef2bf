"""What the public can see, defined once.

An appeal is public while it is published: drafts (an admin's or an import's) and withdrawn
appeals are shown to nobody but admins. A case is public while at least one public appeal is
about it; everything the public learns of a case (its summary, timeline, protest count,
country) comes from public appeals only.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import InstrumentedAttribute

from storage.enums import AppealStatus
from storage.models import Appeal, appeal_cases

PUBLIC_STATUS = AppealStatus.PUBLISHED


def is_public_appeal(appeal: Appeal) -> bool:
    """Tell whether the public may see an appeal."""
    return appeal.status is PUBLIC_STATUS


def public_appeal() -> ColumnElement[bool]:
    """Return the condition an appeal row must meet to be shown to the public."""
    return Appeal.status == PUBLIC_STATUS


def public_case(case_id: InstrumentedAttribute[int] | ColumnElement[int]) -> ColumnElement[bool]:
    """Return the condition that the case in ``case_id`` has a public appeal."""
    return exists().where(
        appeal_cases.c.case_id == case_id,
        appeal_cases.c.appeal_id == Appeal.id,
        public_appeal(),
    )


def public_case_ids() -> Select[int]:
    """Return a query for the ids of every public case."""
    return (
        select(appeal_cases.c.case_id)
        .join(Appeal, Appeal.id == appeal_cases.c.appeal_id)
        .where(public_appeal())
        .distinct()
    )


def public_appeal_ids() -> Select[int]:
    """Return a query for the ids of every public appeal."""
    return select(Appeal.id).where(public_appeal())
