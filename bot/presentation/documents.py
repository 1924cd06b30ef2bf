"""Appeals as JSON documents, for machines: the command line's --json, and what a webhook
posts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.enums import AppealKind, Urgency
from storage.records import AppealRecord
from storage.standing import Standing


def appeal_as_json(appeal: AppealRecord, standing: Standing | None = None) -> dict[str, Any]:
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
        "inferred": appeal.inferred,
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


EVENT_VERSION = "1"
EVENT_TYPES = {
    AppealKind.APPEAL: "appeal.published",
    AppealKind.UPDATE: "appeal.updated",
    AppealKind.OUTCOME: "appeal.outcome",
}


def event_document(
    appeal: AppealRecord,
    standing: Standing,
    *,
    url: str,
    case_urls: Mapping[str, str],
    withdrawn: bool = False,
) -> dict[str, Any]:
    """Return what a webhook posts of a published (or withdrawn) appeal: what a bridge needs
    to post it, or take its post down (docs/webhooks/event.schema.json), and nothing about
    subscribers."""
    kind = "appeal.withdrawn" if withdrawn else EVENT_TYPES[appeal.kind]
    return {
        "version": EVENT_VERSION,
        "id": f"evt_{appeal.id}_{kind.removeprefix('appeal.')}",
        "type": kind,
        "appeal": {
            "id": appeal.id,
            "slug": appeal.slug,
            "url": url,
            "kind": appeal.kind.value,
            "urgent": appeal.urgency is Urgency.URGENT,
            "follows": appeal.parent_id,
            "title": appeal.title,
            "summary": appeal.summary,
            "language": appeal.language,
            "texts": {
                text.language: {"title": text.title, "summary": text.summary}
                for text in appeal.texts
            },
            "issued_on": appeal.issued_on.isoformat() if appeal.issued_on else None,
            "issued_precision": appeal.issued_precision.value,
            "deadline": appeal.deadline.isoformat() if appeal.deadline else None,
            "standing": standing.value,
            "cases": [
                {"slug": case.slug, "name": case.name, "url": case_urls.get(case.slug, "")}
                for case in appeal.cases
            ],
            "source": {"name": appeal.source_name, "url": appeal.source_url},
        },
    }
