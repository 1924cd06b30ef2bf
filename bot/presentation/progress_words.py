"""A broadcast's progress in words: how long, and a bar for a terminal."""

from __future__ import annotations

from bot.delivery.figures import Progress
from templates.i18n import _


def duration(seconds: float | None) -> str:
    """Write a duration for people: 45 s, 3 min 20 s, 1 h 05 min."""
    if seconds is None:
        return _("estimating…")
    seconds = round(seconds)
    if seconds < 60:
        return _("%(s)s s") % {"s": seconds}
    if seconds < 3600:
        return _("%(m)s min %(s)s s") % {"m": seconds // 60, "s": f"{seconds % 60:02d}"}
    return _("%(h)s h %(m)s min") % {"h": seconds // 3600, "m": f"{seconds % 3600 // 60:02d}"}


def bar(progress: Progress, *, width: int = 30) -> str:
    """Draw progress for a terminal."""
    filled = round(progress.share * width)
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {progress.done}/{progress.total} "
        f"sent {progress.sent} · failed {progress.failed} · gone {progress.gone} · "
        f"left {progress.left} · {progress.rate:.0f}/s · {duration(progress.seconds_left)} left"
    )
