"""Jinja2 templates and the environment that renders them."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from storage.contacts import format_phone
from storage.enums import CaseStatus, DatePrecision
from templates.telegram_html import split_message

TEMPLATE_DIR = Path(__file__).parent

CASE_STATUS_LABELS = {
    CaseStatus.OPEN: "open",
    CaseStatus.RELEASED: "released",
    CaseStatus.CHARGES_DROPPED: "charges dropped",
    CaseStatus.ACQUITTED: "acquitted",
    CaseStatus.FINED: "fined",
    CaseStatus.SENTENCED: "sentenced",
    CaseStatus.CLOSED: "closed",
}


COUNTRY_NAMES = {
    "KZ": "Kazakhstan",
    "KG": "Kyrgyzstan",
    "RU": "Russia",
    "UZ": "Uzbekistan",
    "TJ": "Tajikistan",
    "TM": "Turkmenistan",
    "BY": "Belarus",
    "UA": "Ukraine",
    "AZ": "Azerbaijan",
    "AM": "Armenia",
    "GE": "Georgia",
    "TR": "Turkey",
    "GB": "United Kingdom",
    "US": "United States",
}


def country_name(code: str | None) -> str:
    """Return a country's English name for its ISO code (the code itself if unknown)."""
    if not code:
        return ""
    return COUNTRY_NAMES.get(code.upper(), code.upper())


def format_date(value: date | None, precision: DatePrecision | str = DatePrecision.DAY) -> str:
    """Return a date as people write it: 2 May 2011, May 2011 or 2011."""
    if value is None:
        return "undated"
    if precision == DatePrecision.YEAR:
        return f"{value.year}"
    if precision == DatePrecision.MONTH:
        return value.strftime("%B %Y")
    return f"{value.day} {value.strftime('%B %Y')}"


def case_status_label(status: CaseStatus | str) -> str:
    """Return a case status in words."""
    return CASE_STATUS_LABELS.get(CaseStatus(status), str(status))


class Templates:
    """Render Telegram HTML, email and letter templates from this folder."""

    def __init__(self, folder: Path = TEMPLATE_DIR) -> None:
        self.env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["phone"] = format_phone
        self.env.filters["day"] = format_date
        self.env.filters["case_status"] = case_status_label
        self.env.filters["country"] = country_name

    def render(self, name: str, /, **context: Any) -> str:
        """Render one template by its path under templates/."""
        return self.env.get_template(name).render(**context).strip()

    def letter(self, name: str, /, *, language: str, **context: Any) -> str:
        """Render ``letters/<language>/<name>.txt.j2``, falling back to English."""
        candidates = [f"letters/{language}/{name}.txt.j2", f"letters/en/{name}.txt.j2"]
        return self.env.select_template(candidates).render(**context).strip()

    def telegram(self, name: str, /, **context: Any) -> list[str]:
        """Render ``telegram/<name>.html.j2`` and split it into sendable messages."""
        return split_message(self.render(f"telegram/{name}.html.j2", **context))
