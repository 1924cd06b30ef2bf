"""Whom an appeal is about: the person (or group) named after "release", "detained",
"journalist", «журналистка» …, not its headline."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import pymorphy3

from bot.extract.dates import MONTH_PATTERN

# Words that introduce the person an appeal is about.
_TRIGGER = re.compile(
    r"\b(?:release|free|freedom for|detained|detention of|arrested|arrest of|abducted|beaten|"
    r"torture of|assault of|killing of|murder of|disappearance of|abduction of|harassment of|"
    r"attack on|threats against|"
    r"charged|sentenced|jailed|imprisoned|prosecution of|persecution of|trial of|"
    r"journalist|activist|unionist|trade unionist|lawyer|defender|human rights defender|"
    r"blogger|leader|member|organiser|organizer|among them|including|"
    r"student|poet|writer|artist|doctor|teacher|worker|miner|farmer|pensioner|"
    r"студент\w*|поэт\w*|писател\w*|врач\w*|учител\w*|рабоч\w+|шахт[её]р\w*|"
    r"журналист\w*|активист\w*|правозащитни\w*|профсоюзн\w+ (?:лидер\w*|активист\w*)|"
    r"лидер\w*|адвокат\w*|блогер\w*|освободить|освобождения|задержан\w*|арестован\w*|"
    r"prisoner|comrade|editor|director|ejidatario|detenid[oa]|desaparecid[oa]|preso|presa|periodista|activista|defensor[a]?|"
    r"arrestato|giornalista|attivista|prigioniero|leader|libération de|liberté pour|"
    r"journaliste|militant[e]?|Freiheit für|Freilassung von|Journalist(?:in)?|Aktivist(?:in)?|"
    r"Gefangene[nr]?|dziennikarz\w*|działacz\w*|więzień|gazeteci|tutuklu|"
    r"журналіст\w*|активіст\w*|політв'язн\w*|льотчиц\w*|"
    r"преследовани\w+|осужден\w*|в том числе|среди них)\s+$",
    re.IGNORECASE,
)
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĪĮİŁŃŇŌŐŒŘŚŞŠŢŤŪŮŰŲŹŻŽА-ЯЁІЇЄЎҐ"
_NAME = re.compile(
    rf"(?<![\w-])([{_UPPER}][^\W\d_A-Z]+(?:[’'-][^\W\d_]+)?"
    rf"(?:[ \t]+[{_UPPER}][^\W\d_A-Z]+(?:[’'-][^\W\d_]+)?){{1,2}})(?![\w-])"
)
# Capitalised words that are offices, places or headlines, never a person's name.
_NOT_NAMES = frozenset(
    re.split(
        r"\s+",
        """
        urgent release free please write dear home news campaigns about contact email fax phone
        procurator prosecutor general region regional police court city ministry minister
        republic president committee committe union national security office embassy department
        mayor akimat akim governor parliament government interior justice foreign affairs
        street square district council centre center detention amnesty international
        front line defenders kazakhstan almaty astana aktau shymkent russia moscow taraz
        monday tuesday wednesday thursday friday saturday sunday january february march april
        may june july august september october november december
        срочно освободите остановите пишите прокурор прокуратура суд полиция области область
        республики республика казахстан министерство министр акимат аким президент шымкент
        алматы астана уважаемый уважаемая требуем поддержите защитите освободите остановите
        пишите звоните напишите prize peace nobel tribunal militar military university party
        campaign association movement federation institute foundation network radio times
        şubesi derneği komisyonu cezaevi bakanlığı hapishanesi związku polaków fundacja comité
        comitato ministero ministerio ministère secretaría gobierno presidente gobernador
        embajada ambasciata ambassade botschaft amnistía prison prisons rights human
        en el la los las le les il der die das im am del una uno ein eine na po за на при
        """.strip(),
    )
)


# "… Gefangenen in der Türkei, Sibel Balaç …": the word a few words before, across a comma.
_TRIGGER_NEAR = re.compile(
    r"\b(?:prisoners?|Gefangene[nr]?|pres[oa]s|detenid[oa]s|prigionier[ie]|prisonniers?"
    r"|więźni\w*|заключ\w+|journalists?|activists?)\b[^.;:!?]{0,30},\s*$"
    # "член профкома Владислав Казачков", "leader of the union Aibek …": a role, then its body.
    r"|\b(?:член\w*|зампредседател\w*|председател\w*|лидер\w*|member|leader|chair\w*)"
    r"(?:\s+(?:of\s+the\s+)?\S+){1,2}\s+$",
    re.IGNORECASE,
)


# "Qanimet Zahid, editor-in-chief of …": the role said after the name.
_ROLE = re.compile(
    r",\s+(?:the\s+|a\s+|an\s+)?(?:editor|director|journalist|activist|leader|member|lawyer"
    r"|defender|blogger|student|poet|writer|professor|unionist|prisoner|журналист\w*|активист\w*"
    r"|правозащитни\w*|periodista|activista|journaliste|militant\w*|Journalist\w*)",
    re.IGNORECASE,
)


def _key(name: str) -> str:
    """Return a name's stem key, so that «Нурланова» and «Нурлановой» are one person."""
    return " ".join(word[:4].lower() for word in name.split())


def _plausible(name: str) -> bool:
    words = name.split()
    return (
        2 <= len(words) <= 3
        and not any(word.lower().removesuffix("s") in _NOT_NAMES for word in words)
        and not any(word.lower() in _NOT_NAMES for word in words)
        and not any(len(word) > 1 and word.isupper() for word in words)  # "МПРА", an acronym
    )


_CALLED = re.compile(
    rf"\b(?:release|free|freedom for|liberate|освободите|свободу)\s+"
    rf"([{_UPPER}][^\W\d_]+)\b(?!\s+[{_UPPER}])",
    re.IGNORECASE,
)


def find_person(title: str, body: str, *, not_these: frozenset[str] = frozenset()) -> str | None:
    """Return the person the appeal is about, as first written in its text (the subject of
    its first sentences is in the nominative), or None when no name stands out."""
    scores: Counter[str] = Counter()
    first_form: dict[str, str] = {}
    paragraphs = [paragraph for paragraph in body.split("\n") if paragraph.strip()]
    # The story's first paragraph (not a subheading above it).
    opening = next((p for p in paragraphs if len(p) > 60), paragraphs[0] if paragraphs else "")
    opening_at = body.find(opening)
    for source, weight in ((title, 2), (body, 1)):
        for match in _NAME.finditer(source):
            name = match.group(1)
            first, _space, rest = name.partition(" ")
            led = bool(_TRIGGER.search(first + " "))
            if led:  # "Журналистка Айгерим Нурланова": the word before the name, capitalised
                name = rest
            # An official the appeal writes to, not the person it is about.
            official = sum(word[:5].lower() in not_these for word in name.split()) >= 2
            if not _plausible(name) or official:
                continue
            key = _key(name)
            before = source[max(0, match.start() - 40) : match.start()]
            score = weight
            after = source[match.end() : match.end() + 40]
            if led or _TRIGGER.search(before) or _TRIGGER_NEAR.search(before) or _ROLE.match(after):
                score += 3
            if source is body and opening_at <= match.start() < opening_at + len(opening):
                score += 3 if match.start() == opening_at else 2  # the story's subject
            scores[key] += score
            if source is body:
                first_form.setdefault(key, name)
            else:
                first_form.setdefault(f"title:{key}", name)
    # "Release Trung": the title names the person by one name; the text gives it whole.
    for called in _CALLED.findall(title):
        for key in scores:
            if key.split()[-1] == _key(called):
                scores[key] += 4
    if not scores:
        return None
    key, score = scores.most_common(1)[0]
    if score < 4:
        return None
    return first_form.get(key) or first_form.get(f"title:{key}")


_AFTER_GROUP = (
    "were|was|are|have|has|had|will|who|that|which|from|with|into|after|since|"
    "que|qui|che|die|der|das|und|und|который|которые|были|jest|są|olan"
)
# The groups appeals are about, when no one person stands out.
_GROUP = re.compile(
    r"\b((?:(?-i:[A-Z])\w+ )?(?:political (?:prisoners|prisioners)|politische[n]? Gefangene[n]?"
    r"|presos políticos|prisonniers politiques|prigionieri politici|więźni\w* polityczn\w*"
    r"|politik mahpus\w*|политзаключ\w+|політв'язн\w+)"
    r"(?: of (?:the )?(?-i:[A-Z])[\w-]+(?: (?-i:[A-Z])[\w-]+)*)?"
    r"|(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?-i:[A-Z]\w+))"
    r" (?:journalists|Medienschaffende|activists|workers|prisoners|writers|librarians|students"
    r"|miners|teachers|doctors|lawyers|dockers|unionists)"
    # "… of the independent weekly Halden Voice": whose they are.
    r"(?: of (?:the )?(?:[a-z]+ ){0,2}(?-i:[A-Z])[\w-]+(?: (?-i:[A-Z])[\w-]+)*)?)\b"
    # "32 presos mapuche", "7 Saharauis": a number of people, up to the verb after them.
    rf"|(?<![\w.-])(\d{{1,3}}\s+[^\W\d_]{{4,}}(?:\s+(?!(?:{_AFTER_GROUP})\b)[^\W\d_]{{4,}}){{0,2}})",
    re.IGNORECASE,
)
# "28 March", "5 years": numbers that count time, not people.
_COUNTED_TIME = re.compile(
    rf"^\d+\s+(years?|days?|months?|hours?|лет|года?|дней|jahre\w*|años|anni|ans|{MONTH_PATTERN})\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[“\"«]([^”\"»]{3,40})[”\"»]")


# "… six journalists, including its editor Ruth Ames": one of a group, not the case itself.
ONE_OF = re.compile(
    r"\b(including|among them|such as|among whom|in particular|в том числе|среди них|"
    r"darunter|entre ellos|parmi eux|tra cui)\b[^.;]{0,40}$",
    re.IGNORECASE,
)


def find_group(title: str, opening: str) -> str | None:
    """Return the group an appeal is about ("7 Saharauis", "political prisoners"), if named."""
    for source in (title, opening):
        quoted = _QUOTED.search(source)
        if quoted and re.search(r"\d", quoted.group(1)):
            return quoted.group(1)
        for match in _GROUP.finditer(source):
            found = match.group(0).strip()
            if not _COUNTED_TIME.match(found):
                return found
    return None


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


def nominative(name: str) -> str:
    """Bring a Russian name to the nominative: «Ивану Сафронову» → «Иван Сафронов»."""
    if not re.search(r"[а-яё]", name, re.IGNORECASE):
        return name
    morph = _morph()
    words = name.split()
    parses = []
    for word in words:
        options = [
            p
            for p in morph.parse(word)
            if {"Name", "Surn", "Patr"} & p.tag.grammemes and "sing" in p.tag.grammemes
        ]
        parses.append(options)
    genders = [p.tag.gender for options in parses for p in options[:1] if "Name" in p.tag.grammemes]
    gender = genders[0] if genders else None
    result = []
    for word, options in zip(words, parses, strict=True):
        if any("nomn" in p.tag.grammemes for p in options) or not options:
            result.append(word)  # already as a sentence's subject names it
            continue
        chosen = next((p for p in options if gender is None or p.tag.gender == gender), None)
        inflected = chosen.inflect({"nomn"}) if chosen is not None else None
        result.append(inflected.word.capitalize() if inflected is not None else word)
    return " ".join(result)
