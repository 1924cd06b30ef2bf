"""What one line of an appeal holds: labels, numbers, emails, addresses, salutations.

Each reader here looks at one line (or one labelled segment of it) and knows nothing of the
offices around it; ``offices.py`` puts what they find together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from enum import StrEnum

import phonenumbers

from bot.extract.dates import MONTH_PATTERN
from storage.contacts import normalize_email

# Labels as networks print them, in the languages they write in.
_FAX = r"fax(?:\s*(?:number|nr\.?|no\.?))?|n°\s*de\s*fax|t[ée]l[ée]copie|telefax|faks|факс"
_PHONE = (
    r"tel(?:ephone|[ée]phone|efon[oeu]?|efone)?\.?|t[ée]l\.?|phone|mobile|cell|gsm"
    r"|standar[dt]\s+t[ée]l[ée]phonique|телефон\w*|тел\.?"
)
_EMAIL = r"e-?\s?mail(?:\s+address)?|e-posta|correos?|courriel|адрес электронной почты|эл\.\s*почта"
_SALUTATION = (
    r"salutation|anrede|saludo|formule d'appel|saluto|sauda[çc][ãa]o|hitap|обращение|звернення"
    r"|start your letter with|begin your letter with|open(?: your letter)? with"
)
_ADDRESS = (
    r"postal address|post|address|adresse|anschrift|adres|direcci[óo]n|indirizzo|endere[çc]o"
    r"|адрес|адреса|адрас"
)


class Label(StrEnum):
    FAX = "fax"
    PHONE = "phone"
    EMAIL = "email"
    SALUTATION = "salutation"
    ADDRESS = "address"
    SOCIAL = "social"


_LABELS: tuple[tuple[Label, str], ...] = (
    (Label.FAX, _FAX),
    (Label.PHONE, _PHONE),
    (Label.EMAIL, _EMAIL),
    (Label.SALUTATION, _SALUTATION),
    (Label.ADDRESS, _ADDRESS),
    (Label.SOCIAL, r"twitter|facebook|instagram|x\.com"),
)
# A label at the start of a line: "Fax: …", "Tel (504) …", "E-Mail:", "Faks: …".
_LABEL_AT_START = re.compile(
    r"^\s*(?:" + "|".join(f"(?P<{kind.value}>{pattern})" for kind, pattern in _LABELS) + r")"
    r"(?:\s*[:.]\s*|\s+(?=[+(\d])|\s*$)",
    re.IGNORECASE,
)
# Where a label starts inside a line ("… Tel: 01 … – Fax: 01 …", "… I Fax: 202 …").
_LABEL_INSIDE = re.compile(
    r"(?<=[\s,;–\-|/])(?:"
    + "|".join(f"(?:{pattern})" for kind, pattern in _LABELS if kind is not Label.ADDRESS)
    + r")\s*:(?!//)",
    re.IGNORECASE,
)
_NUMBER_RUN = re.compile(r"\+?\(?\d[\d \t().\-–/]{4,}\d\)?")
_AT = re.compile(
    r"\s*(?:\[at\]|\(at\)|\{at\}|\s+at\s+(?=[\w-]+\s*(?:\[dot\]|\(dot\)|\.)))\s*", re.I
)
_DOT = re.compile(r"\s*(?:\[dot\]|\(dot\)|\{dot\})\s*", re.IGNORECASE)
_EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HIDDEN_EMAIL = re.compile(r"\[\s*email\s*(?:protected|&#160;protected)\s*\]", re.IGNORECASE)
# Two addresses glued where a line break was lost: "…@mfa.gov.trpress@…" ends at a known
# top-level domain.
_GLUED = re.compile(
    r"(@[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|int|info|biz|[a-z]{2}))(?=[a-z][\w.+-]*@)"
)


def label_of(line: str) -> tuple[Label, str] | None:
    """Return the label a line opens with and what follows it."""
    match = _LABEL_AT_START.match(line)
    if match is None:
        return None
    for kind in Label:
        if match.group(kind.value):
            return kind, line[match.end() :].strip()
    return None


def split_labels(line: str) -> list[str]:
    """Split a line where a second label starts ("Tel: … – Fax: …", "…Damascus Fax: …")."""
    cuts = [m.start() for m in _LABEL_INSIDE.finditer(line)]
    if not cuts:
        return [line]
    pieces = []
    start = 0
    for cut in cuts:
        if cut > start:
            pieces.append(line[start:cut])
        start = cut
    pieces.append(line[start:])
    return [
        piece.strip(" \t–-|,;") or piece.strip() for piece in pieces if piece.strip(" \t–-|,;I")
    ]


def unmask_emails(text: str) -> str:
    """Undo "name [at] domain [dot] org" and the like."""
    return _DOT.sub(".", _AT.sub("@", text))


def find_emails(text: str, *, lenient: bool = False) -> list[str]:
    """Return the email addresses in a text, in order, glued ones taken apart.

    ``lenient``: keep an address as printed when it fails validation (under an email label,
    where the text says it is one, e.g. a domain cut short).
    """
    found: list[str] = []
    text = _GLUED.sub(r"\1 ", unmask_emails(text))
    for match in _EMAIL_ADDRESS.finditer(text):
        raw = match.group(0).rstrip(".")
        try:
            email = normalize_email(raw)
        except ValueError:
            if not lenient:
                continue
            email = raw
        if email not in found:
            found.append(email)
    return found


def has_hidden_email(text: str) -> bool:
    """Tell whether a page's e-mail protection hid an address here."""
    return bool(_HIDDEN_EMAIL.search(text))


def _prepared(run: str) -> str:
    run = re.sub(r"\+{2,}", "+", run)
    run = run.replace("–", "-")
    run = re.sub(r"(?<=\d)\.(?=\d)", " ", run)
    run = re.sub(r"\(0\)", " ", run)
    run = re.sub(r"^\(\s*00\s*(\d{1,3})\s*\)", r"+\1 ", run)
    run = re.sub(r"^00\s*(?=[1-9])", "+", run)
    run = re.sub(r"^011[\s-]+(?=[1-9])", "+", run)
    return run.strip()


def _valid(text: str, region: str | None) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def read_number(printed: str, regions: Sequence[str], *, labelled: bool) -> str | None:
    """Read one number as printed, in the first region where it is a valid one.

    A number the text labels (Fax: …) but no region knows is kept with its digits as printed;
    an unlabelled one must be valid somewhere.
    """
    text = _prepared(printed)
    digits = re.sub(r"\D", "", text)
    if not 6 <= len(digits) <= 16:
        return None
    if text.startswith("+"):
        # "+90 0312 …": the trunk zero printed after the country code.
        found = _valid(text, None) or _valid(re.sub(r"^(\+\d{1,3})\s*0", r"\1 ", text), None)
        if found:
            return found
    else:
        for region in regions:
            found = _valid(text, region)
            if found:
                return found
        if not text.startswith("0"):
            # "53 7 8333085", "1 2127791697": a country code printed without its plus.
            found = _valid("+" + text, None)
            if found:
                return found
    if not labelled:
        return None
    return ("+" if text.startswith("+") else "") + digits


def numbers_in(segment: str, regions: Sequence[str], *, labelled: bool) -> tuple[list[str], str]:
    """Return the numbers a segment starts with, and what is left after them.

    "02/673.80.07 DELEURLAAN 57 1170 BRUSSEL" is one number and an address; "(504) 269-3000
    269-3069" two numbers; "+994 12 92 06 25/ 92 28 68" two.
    """
    found: list[str] = []
    rest = segment
    while True:
        match = _NUMBER_RUN.search(rest)
        if match is None or (found and rest[: match.start()].strip(" ,;/") not in ("", "or", "ou")):
            break
        if not found and re.search(r"[^\W\d_]{3,}", rest[: match.start()]) and not labelled:
            break
        run = match.group(0)
        for part in _split_run(run, regions):
            number = read_number(part, regions, labelled=labelled)
            if number and number not in found:
                found.append(number)
        rest = rest[match.end() :]
        if not found:
            break
    return found, rest.strip(" ,;.–-")


def _split_run(run: str, regions: Sequence[str]) -> list[str]:
    """Split a run of digits into the numbers printed in it."""
    pieces = [run]
    slash = re.split(r"\s*/\s*", run)
    if len(slash) > 1 and all(len(re.sub(r"\D", "", p)) >= 6 for p in slash):
        pieces = slash
    result: list[str] = []
    for piece in pieces:
        if read_number(piece, regions, labelled=False) or len(re.sub(r"\D", "", piece)) <= 12:
            result.append(piece)
            continue
        # Two numbers side by side: split at the group boundary that leaves two readable ones.
        groups = piece.split()
        for cut in range(len(groups) - 1, 0, -1):
            left, right = " ".join(groups[:cut]), " ".join(groups[cut:])
            if len(re.sub(r"\D", "", right)) >= 6 and len(re.sub(r"\D", "", left)) >= 7:
                result.extend([left, right])
                break
        else:
            result.append(piece)
    return result


_STREET = re.compile(
    r"\b(street|st\.|avenue|ave\.?|av\.|road|rd\.|boulevard|blvd|square|plaza|calle|avenida|rua"
    r"|largo|pra[çc]a|via|viale|piazza|corso|stra(?:ß|ss)e|str\.|platz|gasse|allee|laan|straat"
    r"|plein|ulica|ul\.|aleja|cadde\w*|sokak|sok\.|bulvar\w*|mahalle\w*|p\.?\s?o\.?\s?box|apartado"
    r"|postfach|casilla|cedex|no\.\s?\d+|№\s?\d+|c\.p\.\s?\d+|rue|chemin|allée|quai|calzada"
    r"|carrera|jirón)(?=\W|$)"
    r"|(?<!\w)(ул|вул|пр|пл|г|д|корп|кв|м)\.\s?\w|\bul\s+[A-Z]"
    r"|\w(strasse|straße|str\.)"
    # "167 High Holborn": a house number before a street's name (not "28 March").
    rf"|^\d{{1,4}}[a-z]?,?\s+(?!(?:{MONTH_PATTERN})\b)(?-i:[A-Z])[^\W\d_]{{2,}}",
    re.IGNORECASE,
)
_POSTCODE = re.compile(
    r"(?<![\d.,:/])(\d{5,7}|(?!(?:19|20)\d\d)\d{4}(?=\s+[^\W\d_a-zа-яё]\w{2,})|\d{2}-\d{3}"
    r"|\d{3}\s?\d{2}(?=\s+[^\W\d_a-zа-яё]\w{2,})"
    r"|\d{4}\s?-\s?\d{3})(?!\d|[.,:/]\d)"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b|\b[A-Z]{2}\s\d{5}\b|\b[A-Z]\s?[–-]\s?\d{4,5}\b",
)


def is_address_line(line: str) -> bool:
    """Tell whether a line reads as part of a postal address (a street, a postcode)."""
    if len(line) > 160:
        return False
    return bool(_STREET.search(line) or _POSTCODE.search(line))


# How a letter opens, in the languages appeals are written in.
_OPENER = re.compile(
    r"^(dear|your excellenc(?:y|ies)|your honou?r|excellenc[ey]|sehr geehrte[rs]?|liebe[rs]?"
    r"|monsieur|madame|mesdames|excel[êe]ncia|excelent[íi]sim[oa]|estimad[oa]s?|señor|senhor"
    r"|egregi[oa]|gentile|illustr[ei]ssim[oa]|caro|cara|sayın|sayin|szanown[aiy]|vážen"
    r"|уважаем\w*|шановн\w*|шаноўн\w*|дорог\w*)\b",
    re.IGNORECASE,
)
# Openers to a crowd of readers, not to an office ("Dear comrades and friends").
_CROWD = re.compile(
    r"\b(all|friends?|comrades?|colleagues|supporters|everyone|amici|freunde\w*|camarades"
    r"|compa[ñn]er[oa]s|amigos|друзья|друзі|товарищи|коллеги)\b",
    re.IGNORECASE,
)


def letter_opener(line: str) -> str | None:
    """Return the salutation a line opens a letter with ("Dear Minister"), if it does."""
    if not _OPENER.match(line):
        return None
    head = re.split(r"[,:!\n]|(?<=\w)\.\s", line, maxsplit=1)[0].strip()
    words = head.split()
    if not words or len(words) > 7 or len(head) > 70 or _CROWD.search(head):
        return None
    if head != line.strip().rstrip(",:!.") and not re.match(r"^[^,:!]+[,:!]", line):
        return None
    return head


_LATER_OPENER = re.compile(r"(?:\s[–—-]\s|:\s)(?=\S)")


def letter_openers(line: str) -> list[str]:
    """Return the salutations a line gives: the one it opens with, and any after a dash or a
    colon ("… A jeśli do Andrzeja – Шаноўны спадар Анджэй!")."""
    found = [opener] if (opener := letter_opener(line)) else []
    for cut in _LATER_OPENER.finditer(line):
        rest = line[cut.end() :]
        later = letter_opener(rest) if re.match(r"^[^,:!]+[!,]", rest) else None
        if later and later not in found:
            found.append(later)
    return found


def salutation_value(value: str) -> tuple[str, str]:
    """Return a "Salutation: …" label's value and what follows it on a run-on line."""
    value = value.strip()
    formal = re.match(r"(your excellenc(?:y|ies)|your honou?r)\b[,.]?\s*", value, re.IGNORECASE)
    if formal:
        return formal.group(1), value[formal.end() :]
    parts = re.split(r"([,;!]|\s{2,})", value, maxsplit=1)
    head = parts[0]
    rest = "".join(parts[2:]) if len(parts) > 2 else ""
    return head.strip(" .,:"), rest.strip(" ,;")


def words_of(text: str) -> set[str]:
    """Return a text's longer words, lower-cased and without accents, cut to a stem."""
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return {word[:6] for word in re.findall(r"[^\W\d_]{4,}", plain)}
