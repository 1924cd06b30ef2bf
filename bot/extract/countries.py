"""Countries as appeals name them, in the languages they are written in (CLDR names, via Babel)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale

READ_LANGUAGES = ("en", "ru", "uk", "be", "it", "fr", "es", "pt", "de", "pl", "tr", "nl")
_SLAVIC = {"ru", "uk", "be", "pl"}
# Names that are also words or people's names far more often than countries.
_AMBIGUOUS = {"chad", "jordan", "georgia", "niger", "guinea", "mali", "togo", "peru"}
# Adjectives and other names CLDR does not list.
_EXTRA = {
    "cuban": "CU", "turkey": "TR", "turkish": "TR", "türkisch": "TR", "türkischen": "TR",
    "turc": "TR", "turque": "TR", "turco": "TR", "turca": "TR", "türkiye": "TR", "turkiye": "TR",
    "russian": "RU", "российск": "RU", "белорусск": "BY", "belarusian": "BY", "białorus": "BY",
    "ukrainian": "UA", "украинск": "UA", "українськ": "UA", "chinese": "CN", "iranian": "IR",
    "syrian": "SY", "vietnamese": "VN", "mexican": "MX", "mexicano": "MX", "moroccan": "MA",
    "marroquin": "MA", "marocain": "MA", "marroquina": "MA", "egyptian": "EG", "egiziana": "EG",
    "egiziano": "EG", "azerbaijani": "AZ", "pakistani": "PK", "philippine": "PH", "filipino": "PH",
    "honduran": "HN", "chilean": "CL", "kurdistan": "TR", "saharaui": "EH", "sahrawi": "EH",
    "kazakh": "KZ", "казахстанск": "KZ", "uzbek": "UZ", "kyrgyz": "KG", "tajik": "TJ",
    "turkmen": "TM", "sri lankan": "LK", "usa": "US", "u.s": "US",
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


@dataclass(frozen=True, slots=True)
class _Names:
    exact: dict[str, str]  # CLDR names, lower-cased
    stems: dict[str, str]  # beginnings that name a country whatever follows: «Росси», "Cuban"
    stem_lengths: tuple[int, ...]
    longest: int  # the most words a name has


@lru_cache(maxsize=1)
def _names() -> _Names:
    exact: dict[str, str] = {}
    stems: dict[str, str] = {}
    for language in READ_LANGUAGES:
        for code, name in Locale.parse(language).territories.items():
            if len(code) != 2 or not code.isalpha() or code in {"EU", "EZ", "UN", "QO", "XA", "XB"}:
                continue
            key = name.lower()
            if key in _AMBIGUOUS or len(key) < 4:
                continue
            exact.setdefault(key, code)
            if language in _SLAVIC and key[-1] in "аяоеиіыуюьйa" and len(key) >= 6:
                stems.setdefault(key[:-1], code)
    for key, code in (_EXTRA | _PLACES).items():
        stems.setdefault(key, code)
    return _Names(
        exact=exact,
        stems=stems,
        stem_lengths=tuple(sorted({len(stem) for stem in stems}, reverse=True)),
        longest=max(len(name.split()) for name in (*exact, *stems)),
    )


_WORD = re.compile(r"[^\W\d_][\w’'.-]*")
_CAPITAL = re.compile(r"[A-ZÀ-ÖØ-Þ]")


def _named_at(words: list[str], at: int, names: _Names) -> tuple[str, str, int] | None:
    """Return the country named from word ``at`` on: (code, name, words taken)."""
    for size in range(min(names.longest, len(words) - at), 0, -1):
        phrase = " ".join(words[at : at + size]).lower().rstrip(".")
        code = names.exact.get(phrase)
        if code is None:
            # «России», «Турции», "Turkey's": the name and an ending; "Indiana" is not India.
            for cut in (1, 2, 3):
                stem, ending = phrase[:-cut], phrase[-cut:]
                if stem in names.exact and (
                    ending in ("s", "'s", "’s") or re.search(r"[а-яёіў]", stem)
                ):
                    code = names.exact[stem]
                    phrase = stem
                    break
        if code is None:
            for length in names.stem_lengths:
                if len(phrase) >= length and phrase[:length] in names.stems:
                    if length < len(phrase) and phrase[length - 1] == " ":
                        continue
                    code, phrase = names.stems[phrase[:length]], phrase[:length]
                    break
        if code is not None and len(phrase.split()) == size:
            return code, phrase, size
    return None


def countries_in(text: str, *, places: bool = True) -> list[tuple[str, int]]:
    """Return each country a text names, with where, in order (``places``: also the towns
    and regions that name one, "Damascus", "Chiapas")."""
    names = _names()
    text = text.replace("İ", "I")  # "İstanbul": its lower case is two characters
    spans = [(m.start(), m.end(), m.group(0)) for m in _WORD.finditer(text)]
    words = [word for _start, _end, word in spans]
    found: list[tuple[str, int]] = []
    at = 0
    while at < len(words):
        named = _named_at(words, at, names)
        if named is None:
            at += 1
            continue
        code, phrase, size = named
        before = spans[at - 1] if at else None
        after = spans[at + size] if at + size < len(spans) else None
        inside_a_name = (
            before is not None
            and after is not None
            and text[before[1] : spans[at][0]] == " "
            and text[spans[at + size - 1][1] : after[0]] == " "
            and _CAPITAL.match(before[2]) is not None
            and _CAPITAL.match(after[2]) is not None
            and not after[2].isupper()
        )
        if not inside_a_name and (places or phrase not in _PLACES):
            # "Bárbara Italia Méndez" is a woman, not Italy.
            found.append((code, spans[at][0]))
        at += size
    return found


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
    names = _names()
    kept = [word for word in words if word not in _FILLERS]
    for candidate in (" ".join(words), " ".join(kept), "".join(kept)):
        code = names.exact.get(candidate) or (
            names.stems.get(candidate) if candidate not in _PLACES else None
        )
        if code is not None:
            return code
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
