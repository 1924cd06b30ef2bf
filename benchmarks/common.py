"""What every benchmark reports: timing, memory, and the counts that prove nothing was lost."""

from __future__ import annotations

import json
import resource
import statistics
import sys
from typing import Any


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB."""
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kilobytes / 1024, 1)


def percentile(values: list[float], share: float) -> float:
    """Return the value below which ``share`` of the values fall."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def report(result: dict[str, Any]) -> None:
    """Print the result as one JSON line, last on stdout."""
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
