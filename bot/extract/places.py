"""Where an appeal happens: the country (by name) and the town (from a short list, or "in X")."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import pycountry

# Towns appeals from the region name most; others are read from "in <Town>".
KNOWN_PLACES = {
    "almaty": "Almaty",
    "alma-ata": "Almaty",
    "алматы": "Almaty",
    "алма-ата": "Almaty",
    "astana": "Astana",
    "астана": "Astana",
    "nur-sultan": "Astana",
    "taraz": "Taraz",
    "тараз": "Taraz",
    "shymkent": "Shymkent",
    "шымкент": "Shymkent",
    "актау": "Aktau",
    "атырау": "Atyrau",
    "караганда": "Karaganda",
    "павлодар": "Pavlodar",
    "уральск": "Oral",
    "karaganda": "Karaganda",
    "zhanaozen": "Zhanaozen",
    "жанаозен": "Zhanaozen",
    "aktau": "Aktau",
    "aktobe": "Aktobe",
    "atyrau": "Atyrau",
    "uralsk": "Oral",
    "oral": "Oral",
    "pavlodar": "Pavlodar",
    "semey": "Semey",
    "bishkek": "Bishkek",
    "tashkent": "Tashkent",
    "moscow": "Moscow",
    "minsk": "Minsk",
}
_PLACE_WORDS = re.compile(r"[\w-]+", re.UNICODE)
_IN_TOWN = re.compile(r"\bin ([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
_NOT_PLACES = {
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "The", "This", "That", "Our", "Their", "Kazakhstan",
    "West", "East", "North", "South", "Central", "Western", "Eastern", "Northern", "Southern",
    "Prison", "Court", "Hospital", "Russia", "London",
}  # fmt: skip
_TOWN_WINDOW = 600
_EXTRA_COUNTRY_NAMES = {"kazakstan": "KZ", "казахстан": "KZ", "kirghizia": "KG", "россия": "RU"}


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names = dict(_EXTRA_COUNTRY_NAMES)
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names[value.lower()] = country.alpha_2
    return names


# The names people use, where the ISO name is not it.
_SHORT_NAMES = {"RU": "Russia", "GB": "United Kingdom", "US": "United States", "TR": "Turkey"}


@lru_cache(maxsize=512)
def country_display_name(code: str | None) -> str:
    """Return a country's English name for its ISO code (the code itself if unknown)."""
    if not code:
        return ""
    code = code.upper()
    if code in _SHORT_NAMES:
        return _SHORT_NAMES[code]
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def find_country(text: str) -> str | None:
    """Return the ISO code of the country the text names most often."""
    lowered = text.lower()
    counts: Counter[str] = Counter()
    for name, code in _country_names().items():
        if len(name) >= 4 and name in lowered:
            counts[code] += len(re.findall(rf"\b{re.escape(name)}\b", lowered))
    counts = Counter({code: n for code, n in counts.items() if n})
    return counts.most_common(1)[0][0] if counts else None


def find_place(text: str) -> str | None:
    """Return the town the text is about, if it names one."""
    for word in _PLACE_WORDS.findall(text):
        place = KNOWN_PLACES.get(word.lower())
        if place:
            return place
    for match in _IN_TOWN.finditer(text[:_TOWN_WINDOW]):
        if match.group(1) not in _NOT_PLACES:
            return match.group(1)
    return None
