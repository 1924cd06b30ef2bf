"""Countries as appeals name them, in the languages they are written in (CLDR names, via Babel)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from babel import Locale

READ_LANGUAGES = ("en", "ru", "uk", "be", "it", "fr", "es", "pt", "de", "pl", "tr", "nl")
_SLAVIC = {"ru", "uk", "be", "pl"}
# Names that are also words or people's names far more often than countries.
_AMBIGUOUS = {"chad", "jordan", "georgia", "niger", "guinea", "mali", "togo", "peru"}
# Adjectives and other names CLDR does not list.
_EXTRA = {
    "cuban": "CU", "turkish": "TR", "türkisch": "TR", "türkischen": "TR", "turc": "TR",
    "turque": "TR", "turco": "TR", "turca": "TR", "türkiye": "TR", "turkiye": "TR",
    "russian": "RU", "российск": "RU", "белорусск": "BY", "belarusian": "BY", "białorus": "BY",
    "ukrainian": "UA", "украинск": "UA", "українськ": "UA", "chinese": "CN", "iranian": "IR",
    "syrian": "SY", "vietnamese": "VN", "mexican": "MX", "mexicano": "MX", "moroccan": "MA",
    "marroquin": "MA", "marocain": "MA", "marroquina": "MA", "egyptian": "EG", "egiziana": "EG",
    "egiziano": "EG", "azerbaijani": "AZ", "pakistani": "PK", "philippine": "PH", "filipino": "PH",
    "honduran": "HN", "chilean": "CL", "kurdistan": "TR", "saharaui": "EH", "sahrawi": "EH",
    "kazakh": "KZ", "казахстанск": "KZ", "uzbek": "UZ", "kyrgyz": "KG", "tajik": "TJ",
    "turkmen": "TM", "sri lankan": "LK", "usa": "US", "u.s.": "US",
}  # fmt: skip
# Places inside one country that appeals name without the country.
_PLACES = {
    "texas": "US", "california": "US", "crimea": "UA", "donbas": "UA", "gaza": "PS",
    "xinjiang": "CN", "uighur": "CN", "uyghur": "CN", "chiapas": "MX", "tegucigalpa": "HN",
    "damascus": "SY", "diyarbakir": "TR", "ankara": "TR", "istanbul": "TR", "minsk": "BY",
    "минск": "BY", "мінск": "BY", "москва": "RU", "moscow": "RU", "la habana": "CU",
    "havana": "CU", "hanoi": "VN", "ha noi": "VN", "colombo": "LK", "baku": "AZ",
    "manila": "PH", "cairo": "EG",
}  # fmt: skip


@lru_cache(maxsize=1)
def _pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    by_name: dict[str, str] = {}
    stems: dict[str, str] = {}
    for language in READ_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) != 2 or not code.isalpha() or code in {"EU", "EZ", "UN", "QO", "XA", "XB"}:
                continue
            key = name.lower()
            if key in _AMBIGUOUS or len(key) < 4:
                continue
            by_name.setdefault(key, code)
            if language in _SLAVIC and key[-1] in "аяоеиіыуюьйa" and len(key) >= 6:
                stems.setdefault(key[:-1], code)
    for key, code in (_EXTRA | _PLACES).items():
        stems.setdefault(key, code)
    alternatives = sorted(set(by_name) | set(stems), key=len, reverse=True)
    words = "|".join(re.escape(name) for name in alternatives)
    pattern = re.compile(rf"(?<![\w-])({words})(\w*)", re.IGNORECASE)
    lookup = {**by_name, **stems}
    return pattern, lookup


_INSIDE_A_NAME = re.compile(r"(?-i:[A-ZÀ-ÖØ-Þ])[^\W\d_]+ $")
_NAME_GOES_ON = re.compile(r"\w* (?-i:[A-ZÀ-ÖØ-Þ])[^\W\d_A-Z]+")


def countries_in(text: str, *, places: bool = True) -> list[tuple[str, int]]:
    """Return each country a text names, with where, in order (``places``: also the towns
    and regions that name one, "Damascus", "Chiapas")."""
    pattern, lookup = _pattern()
    found: list[tuple[str, int]] = []
    text = text.replace("İ", "I")  # "İstanbul": its lower case is two characters
    for match in pattern.finditer(text):
        if _INSIDE_A_NAME.search(text[: match.start()]) and _NAME_GOES_ON.match(
            text[match.end() :]
        ):
            continue  # "Bárbara Italia Méndez" is a woman, not Italy
        name = match.group(1).lower()
        code = lookup.get(name)
        if code is None:
            continue
        if not places and name in _PLACES:
            continue
        if (
            name not in _EXTRA
            and name not in _PLACES
            and match.group(2)
            and not _inflected(name, match.group(2))
        ):
            continue
        found.append((code, match.start()))
    return found


def _inflected(name: str, ending: str) -> bool:
    # «России», «Турции», "Turkey's" are the country; "Indiana" is not India.
    return (len(ending) <= 3 and bool(re.search(r"[а-яёіў]", name))) or ending in ("s",)


_FILLERS = frozenset(
    {
        "republic", "of", "the", "people's", "people’s", "democratic", "federal", "islamic",
        "kingdom", "state", "united", "arab", "socialist", "republik", "der", "république",
        "de", "la", "república", "del", "repubblica", "rzeczpospolita", "республика",
        "республики",
    }
)  # fmt: skip


def country_line(text: str) -> str | None:
    """Return the country a line is nothing but ("Cuba", "Syrian Arab Republic", "TÜRKEI",
    "Republic of Kazakhstan"), else None: a street named after one is not."""
    words = re.findall(r"[^\W\d_][\w’'-]*", text.lower())
    if not words or len(words) > 6:
        return None
    lookup = _pattern()[1]
    kept = [word for word in words if word not in _FILLERS]
    for candidate in (" ".join(words), " ".join(kept), "".join(kept)):
        if candidate in lookup and candidate not in _PLACES:
            return lookup[candidate]
    return None


def most_named(text: str, *, weights: Sequence[tuple[str, int]] = ()) -> str | None:
    """Return the country a text names most, with extra weight for some parts of it."""
    counts: Counter[str] = Counter()
    for code, _at in countries_in(text):
        counts[code] += 1
    for part, weight in weights:
        for code, _at in countries_in(part):
            counts[code] += weight
    return counts.most_common(1)[0][0] if counts else None
