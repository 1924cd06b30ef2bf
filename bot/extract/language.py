"""The language an appeal is written in: what it reads, not what the bot speaks."""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

# The languages networks write appeals in; a detector for these only stays small.
READ = (
    Language.ENGLISH, Language.RUSSIAN, Language.UKRAINIAN, Language.BELARUSIAN,
    Language.ITALIAN, Language.FRENCH, Language.SPANISH, Language.PORTUGUESE,
    Language.GERMAN, Language.POLISH, Language.TURKISH, Language.DUTCH,
)  # fmt: skip
_SAMPLE = 1_000
# Where a language's writers mostly are: the regions a number without a country code is read in.
HOME_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("GB", "US"), "ru": ("RU", "KZ", "BY"), "uk": ("UA",), "be": ("BY",),
    "it": ("IT",), "fr": ("FR", "BE", "CH"), "es": ("ES", "MX"), "pt": ("PT", "BR"),
    "de": ("DE", "AT", "CH"), "pl": ("PL",), "tr": ("TR",), "nl": ("NL", "BE"),
}  # fmt: skip


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*READ).with_low_accuracy_mode().build()


def detect_language(lines: list[str]) -> str:
    """Return the ISO 639-1 code of the language an appeal's prose is written in."""
    prose = [line for line in lines if len(line) > 60] or lines
    sample = " ".join(prose)[:_SAMPLE]
    found = _detector().detect_language_of(sample)
    if found is None:
        return "en"
    code: IsoCode639_1 = found.iso_code_639_1
    return str(code.name).lower()
