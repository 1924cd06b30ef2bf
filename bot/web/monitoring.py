"""/healthz and /metrics (Prometheus text): for operators, counts only, never who."""

from __future__ import annotations

from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.services.monitoring import Counts
from bot.web.email import SERVICES_KEY


async def health(request: web.Request) -> web.Response:
    """Answer 200 when the database, the SMTP relay and delivery all work, else 503."""
    checked = await request.app[SERVICES_KEY].monitoring.health()
    body = {
        "ok": checked.ok,
        "database": checked.database,
        "smtp": checked.smtp,
        "delivery": checked.delivery,
    }
    return web.json_response(body, status=200 if checked.ok else 503)


class _Snapshot(Collector):
    """The counts of one scrape, as Prometheus metric families."""

    def __init__(self, counts: Counts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        counts = self._counts
        deliveries = GaugeMetricFamily(
            "appealbot_deliveries", "Deliveries by channel and state", labels=["channel", "state"]
        )
        for (channel, state), value in sorted(counts.deliveries.items()):
            deliveries.add_metric([channel, state], value)
        yield deliveries
        subscribers = GaugeMetricFamily(
            "appealbot_subscribers", "Subscribers by channel and state", labels=["channel", "state"]
        )
        for (channel, state), value in sorted(counts.subscribers.items()):
            subscribers.add_metric([channel, state], value)
        yield subscribers
        yield GaugeMetricFamily(
            "appealbot_queue_depth", "Deliveries waiting or being sent", value=counts.queue_depth
        )
        outcomes = GaugeMetricFamily(
            "appealbot_outcomes_recorded",
            "Send outcomes this process has recorded since it started (rate() gives the send rate)",
            labels=["outcome"],
        )
        for outcome, value in sorted(counts.sent_here.items()):
            outcomes.add_metric([outcome], value)
        yield outcomes


async def metrics(request: web.Request) -> web.Response:
    """Every count, in Prometheus' text format."""
    counts = await request.app[SERVICES_KEY].monitoring.counts()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(counts))
    return web.Response(body=generate_latest(registry), content_type="text/plain", charset="utf-8")


def add_routes(router: web.UrlDispatcher) -> None:
    """Add /healthz and /metrics."""
    router.add_get("/healthz", health)
    router.add_get("/metrics", metrics)
