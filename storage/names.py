"""Search keys for names: one Latin, lower-case form for every spelling and alphabet."""

from __future__ import annotations

import re
import unicodedata

_CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u",
    "һ": "h", "і": "i", "ї": "i", "є": "e", "ґ": "g", "ў": "u",
}  # fmt: skip
_TRANSLATION = str.maketrans(_CYRILLIC_TO_LATIN)
# Russian "-ий"/"-ый" endings are written -y, -iy or -ii in English (Дмитрий -> Dmitry).
_ENDING_IY = re.compile(r"(?<=[a-z])(?:[iy]y|ii)\b")
_APOSTROPHES = re.compile(r"['’`ʼ]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def search_key(text: str) -> str:
    """Return the Latin, lower-case, accent-free form used to match names."""
    lowered = unicodedata.normalize("NFKC", text).casefold()
    latin = lowered.translate(_TRANSLATION)
    decomposed = unicodedata.normalize("NFKD", latin)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NOT_WORD.sub(" ", _APOSTROPHES.sub("", ascii_only)).strip()
    return _ENDING_IY.sub("y", words)
