"""The data model."""

from storage.models.admin import Admin
from storage.models.appeal import (
    Appeal,
    AppealCase,
    AppealEvent,
    AppealTarget,
    Demand,
    appeal_cases,
    demand_targets,
)
from storage.models.audit import AuditEntry
from storage.models.base import Base
from storage.models.broadcast import Broadcast
from storage.models.case import Case, CaseName
from storage.models.delivery import Delivery
from storage.models.draft import Draft
from storage.models.protest import Protest
from storage.models.seal import SealKey
from storage.models.source import Source, SourceItem
from storage.models.subscriber import Subscriber, SubscriberCountry, subscriber_cases
from storage.models.target import Target
from storage.models.text import AppealText, CaseText
from storage.models.worker import Lease, Worker

__all__ = [
    "Admin",
    "Appeal",
    "AppealCase",
    "AppealEvent",
    "AppealTarget",
    "AppealText",
    "AuditEntry",
    "Base",
    "Broadcast",
    "Case",
    "CaseName",
    "CaseText",
    "Delivery",
    "Demand",
    "Draft",
    "Lease",
    "Protest",
    "SealKey",
    "Source",
    "SourceItem",
    "Subscriber",
    "SubscriberCountry",
    "Target",
    "Worker",
    "appeal_cases",
    "demand_targets",
    "subscriber_cases",
]
