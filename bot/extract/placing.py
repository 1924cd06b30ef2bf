"""After the blocks: the same office printed twice merged, loose contacts given to the office
they name, letter openings to the office they write to, and what none took reported."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from bot.extract import office_words as words
from bot.extract.office import HIDDEN_NOTE, NAME_LIMIT, Office, Reading
from bot.extract.places import country_display_name
from bot.extract.spans import words_of
from storage.enums import TargetKind

_SPELLED_ALIKE = 80  # "amnest" and "amnist": one name in two languages
_OPENING_WORDS = {"dear", "your", "excell", "sehr", "geehrt"}


def place(
    offices: list[Office],
    loose: list[Office],
    openers: list[tuple[str, int]],
    lines: Sequence[str],
    regions: Sequence[str],
) -> Reading:
    """Put the blocks read together into the offices to write to, and what none took."""
    kept = _merge(
        [
            office
            for office in offices
            if office.names
            and (
                office.has_contacts
                or (office.kind is TargetKind.EMBASSY and office.listed)
                or HIDDEN_NOTE in office.notes  # its address is on the page: the admin adds it
            )
        ]
    )
    named = [
        office
        for office in offices
        if office.names
        and not office.has_contacts
        and len(office.names) <= 3
        and all(len(name) <= NAME_LIMIT for name in office.names)
    ]
    _advice_embassy(kept, lines, regions)
    unplaced = _place(kept, named, loose)
    _assign_openers(kept, openers, offices)
    for office in kept:
        office.notes = list(dict.fromkeys(office.notes))
    return Reading(offices=kept, unplaced=unplaced)


def _names(office: Office) -> set[str]:
    return words_of(" ".join(office.names))


def _merge(offices: list[Office]) -> list[Office]:
    """Merge an office printed twice (its block, then the sample letter's address)."""
    kept: list[Office] = []
    for office in offices:
        key = _names(office)
        twin = next((other for other in kept if key and _names(other) == key), None)
        if twin is None and not (office.emails or office.phones or office.faxes):
            twin = next((other for other in kept if len(key & _names(other)) >= 2), None)
        if twin is None:
            kept.append(office)
            continue
        twin.join(office)
        office.names = twin.names  # openings after the copy belong to the first
    return kept


def _place(kept: list[Office], named: list[Office], loose: list[Office]) -> list[str]:
    """Give loose contacts to the office they name; return the ones no office took."""
    unplaced: list[str] = []
    placed = {email for office in kept for email in office.emails}
    for item in loose:
        item.emails = [email for email in item.emails if email not in placed]
        if item.publisher:
            unplaced.extend(_describe(item))
            continue
        hint = _names(item)
        target = next((office for office in kept if hint and hint & _names(office)), None)
        if target is None and item.names and (item.emails or item.phones or item.faxes):
            target = Office(names=item.names, closed=True)
            kept.append(target)
        if target is None:
            for email in list(item.emails):
                owner = _owner_of(email, [*kept, *named])
                if owner is not None:
                    owner.emails.append(email)
                    item.emails.remove(email)
                    if owner not in kept:
                        kept.append(owner)
            if not item.has_contacts:
                continue
            if (
                len(kept) == 1
                and (kept[0].advised or not kept[0].has_contacts)
                and not item.address
            ):
                target = kept[0]  # "Call the embassy: …": the one office the text names
        if target is None:
            unplaced.extend(_describe(item))
            continue
        target.join(item)
    return unplaced


def _owner_of(email: str, offices: list[Office]) -> Office | None:
    """Return the office whose name an address spells ("felipe.calderon@…" → Calderón,
    "…@amnesty.org" → Amnistía Internacional)."""
    local, _at, domain = email.lower().partition("@")
    tokens = [t for t in re.split(r"[._+-]", f"{local}.{domain.rsplit('.', 1)[0]}") if len(t) > 3]
    spelled = "".join(tokens)
    best, score = None, 0
    for office in offices:
        stems = _names(office)
        hits = sum(1 for stem in stems if stem in spelled)
        hits += sum(
            1
            for stem in stems
            for token in tokens
            if stem not in spelled and fuzz.ratio(stem, token[: len(stem)]) >= _SPELLED_ALIKE
        )
        if hits > score:
            best, score = office, hits
    if best is None:
        root = domain.split(".")[0]
        return next(
            (o for o in offices if any(root in other.split("@")[1] for other in o.emails)), None
        )
    return best


def _describe(item: Office) -> list[str]:
    described = [f"email {email}" for email in item.emails]
    described += [f"phone {phone}" for phone in item.phones]
    described += [f"fax {fax}" for fax in item.faxes]
    described += [f"address {address}" for address in item.address]
    return described


def _advice_embassy(kept: list[Office], lines: Sequence[str], regions: Sequence[str]) -> None:
    """Add the embassy a sentence asks to write to ("…and one to the Belarus Embassy")."""
    if any(words.EMBASSY.search(office.name) for office in kept):
        return
    sentences = [sentence for line in lines for sentence in re.split(r"(?<=[.!?])\s+", line)]
    # The reader's own embassy first ("…the Embassy of X in your country"), then any asked for.
    asked = [s for s in sentences if words.YOUR_EMBASSY.search(s)]
    asked += [s for s in sentences if words.ADVICE.search(s) and s not in asked]
    for sentence in asked:
        match = words.ADVICE_EMBASSY.search(sentence)
        if match is None:
            continue
        name = re.sub(r"^the\s+", "", match.group(1).strip(), flags=re.IGNORECASE)
        name = re.sub(r"\s+(?:and|or|und|oder|et|ou|e|o|y|che|которые)\s.*$", "", name)
        if len(name.split()) == 1:
            name = (
                f"Embassy of {country_display_name(regions[0])}"
                if regions
                else "The embassy in your country"
            )
        elif re.match(r"(?-i:[A-Z])\w+ embass", name, re.IGNORECASE):
            name = f"The {name}"  # "The Kazakh embassy in your country"
        name = name[:1].upper() + name[1:]
        kept.append(Office(names=[name], kind=TargetKind.EMBASSY, advised=True))
        return


def _assign_openers(kept: list[Office], openers: list[tuple[str, int]], read: list[Office]) -> None:
    """Give each letter's opening words to the office it writes to."""
    first = True
    for salute, before in openers:
        stems = words_of(salute) - _OPENING_WORDS
        match = next(
            (o for o in kept if o.salutation is None and stems & _names(o)),
            None,
        )
        if match is None and first:
            # The letter's own address block, else the first office without a salutation.
            previous = read[before - 1] if 0 < before <= len(read) else None
            candidates = [o for o in kept if o.salutation is None and not o.advised]
            by_block = next(
                (o for o in candidates if previous is not None and o.names == previous.names), None
            )
            match = by_block or (candidates[0] if candidates else None)
        if match is not None:
            match.salutation = salute
        first = False
