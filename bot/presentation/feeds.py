"""Atom feeds (RFC 4287) and iCalendar files (RFC 5545) of public appeals, written by feedgen
and icalendar, never by hand."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event
from lxml import etree

from bot.presentation.labels import kind_label
from bot.presentation.localized import appeal_summary, appeal_title, case_name, event_label
from core.timing import country_zone
from storage.enums import AppealKind, EventKind
from storage.records import AppealRecord
from storage.standing import Age, Standing
from templates.i18n import _, current

log = logging.getLogger(__name__)
ATOM = "{http://www.w3.org/2005/Atom}"
# What goes into a calendar: the days in court, and the last day to act.
COURT_DAYS = (EventKind.HEARING, EventKind.TRIAL, EventKind.VERDICT)


@dataclass(frozen=True, slots=True)
class FeedItem:
    """A public appeal for a feed or calendar: with its standing and page address."""

    appeal: AppealRecord
    age: Age
    url: str
    case_urls: tuple[str, ...] = ()


def _moment(appeal: AppealRecord) -> datetime:
    when = appeal.published_at or appeal.updated_at or appeal.created_at
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def atom(
    items: Sequence[FeedItem],
    *,
    title: str,
    self_url: str,
    page_url: str,
    site_name: str,
    changed: datetime | None,
) -> bytes:
    """Write an Atom feed of appeals, newest first: updates and outcomes link their case."""
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(_xml(title))
    feed.author({"name": site_name})
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.language(current())
    moments = [_moment(item.appeal) for item in items]
    feed.updated(max(moments, default=changed or datetime(2000, 1, 1, tzinfo=UTC)))
    for item in sorted(items, key=lambda dated: _moment(dated.appeal)):
        appeal = item.appeal
        entry = feed.add_entry()  # each added first: the feed reads newest first
        try:
            entry.id(item.url)
            entry.title(_xml(_entry_title(appeal)))
            entry.link(href=item.url, rel="alternate", type="text/html")
            for case_url in item.case_urls:
                entry.link(href=case_url, rel="related", type="text/html")
            entry.published(_moment(appeal))
            entry.updated(max(_moment(appeal), _aware(appeal.updated_at)))
            summary, _note = appeal_summary(appeal)
            entry.summary(_xml(summary))
            entry.category(term=appeal.kind.value, label=_xml(kind_label(appeal.kind)))
        except ValueError:
            # One entry the writer refuses leaves the feed without it, not every reader
            # without the feed.
            log.exception("appeal %s left out of a feed", appeal.id)
            feed.remove_entry(entry)
    return _with_link_relations(bytes(feed.atom_str(pretty=True)), items)


def _with_link_relations(document: bytes, items: Sequence[FeedItem]) -> bytes:
    """Give the entries' case links their relation: feedgen 1.0 drops an entry link's rel
    and type (its writer shadows the link it reads from)."""
    related = {url for item in items for url in item.case_urls}
    root = etree.fromstring(document)
    for link in root.iterfind(f"{ATOM}entry/{ATOM}link"):
        link.set("rel", "related" if link.get("href") in related else "alternate")
        link.set("type", "text/html")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# What XML 1.0 cannot hold: control characters but tab and line breaks, and two non-characters.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml(text: str) -> str:
    """Return a text XML can hold (stored before drafts were cleaned, it may carry a control
    character)."""
    return _NOT_XML.sub(" ", text)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _entry_title(appeal: AppealRecord) -> str:
    title = appeal_title(appeal)
    if appeal.kind is AppealKind.APPEAL:
        return title
    return f"{kind_label(appeal.kind).capitalize()}: {title}"


def calendar(items: Sequence[FeedItem], *, name: str, stamp: datetime) -> bytes:
    """Write a calendar of days in court and deadlines to act, each on its day where the
    case is (TZID: the place's zone), each linking back to its page."""
    cal = Calendar()
    cal.add("prodid", "-//appealbot//public appeals//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    host = urlsplit(items[0].url).hostname if items else "appealbot"
    seen: set[str] = set()
    for item in items:
        appeal = item.appeal
        zone = country_zone(appeal.cases[0].country if appeal.cases else None)
        title = appeal_title(appeal)
        for event in appeal.events:
            if event.kind not in COURT_DAYS or event.precision.value != "day":
                continue
            uid = f"event-{event.id}@{host}"
            label = event_label(event.label, event.labels)
            if uid not in seen:
                seen.add(uid)
                cal.add_component(_day(uid, label, event.on_date, zone, item.url, title, stamp))
        if appeal.deadline is not None and item.age.standing is Standing.OPEN:
            uid = f"deadline-{appeal.id}@{host}"
            names = ", ".join(case_name(case) for case in appeal.cases)
            summary = _("Last day to act: %(names)s") % {"names": names or title}
            cal.add_component(_day(uid, summary, appeal.deadline, zone, item.url, title, stamp))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _day(
    uid: str, summary: str, day: date, zone: ZoneInfo, url: str, about: str, stamp: datetime
) -> Event:
    """Return the whole of one day where it happens, from midnight to midnight there."""
    start = datetime.combine(day, time(), tzinfo=zone)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(days=1))
    event.add("url", url)
    event.add("description", f"{about}\n{url}")
    event.add("transp", "TRANSPARENT")
    return event
