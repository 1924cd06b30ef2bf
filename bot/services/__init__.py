"""Services: what handlers, jobs, HTTP endpoints and the command line ask for.

Each is an object built once by the composition root (bot/app.py). Each public method is one
unit of work: it opens its transaction, commits, then fires what must follow (the delivery
engine woken, the case index refreshed); the audit entry is written inside the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.admins import AdminService
from bot.services.appeals import AppealService
from bot.services.broadcasts import BroadcastService
from bot.services.case_index import CaseIndex
from bot.services.cases import CaseService
from bot.services.drafts import DraftService
from bot.services.email import EmailService
from bot.services.imports import ImportService
from bot.services.keys import KeyService
from bot.services.maintenance import MaintenanceService
from bot.services.mirrors import MirrorService
from bot.services.monitoring import MonitoringService
from bot.services.outcomes import OutcomeService
from bot.services.public import PublicService
from bot.services.publishing import PublishingService
from bot.services.references import Resolver
from bot.services.sources import SourceService
from bot.services.stats import StatsService
from bot.services.subscriptions import SubscriptionService
from bot.services.timekeeper import Timekeeper
from bot.telegram.mirror import ChannelMirror
from storage.database import Database


@dataclass(frozen=True, slots=True)
class Services:
    """Every service, built once."""

    mirror: ChannelMirror  # the Telegram channel's link, for /start
    mirrors: MirrorService
    maintenance: MaintenanceService
    db: Database
    index: CaseIndex
    resolver: Resolver
    cases: CaseService
    appeals: AppealService
    drafts: DraftService
    imports: ImportService
    publishing: PublishingService
    broadcasts: BroadcastService
    outcomes: OutcomeService
    subscriptions: SubscriptionService
    email: EmailService
    admins: AdminService
    stats: StatsService
    keys: KeyService
    monitoring: MonitoringService
    time: Timekeeper
    public: PublicService
    sources: SourceService
