"""Score drafts against a folder of real appeals labelled by hand.

The folder holds the appeals as published (``*.txt``), where each comes from (``sources.json``,
its ``language``) and the labels (``expected.json``). The rules are the folder's: sets
(emails, phones, faxes, offices, salutations) are matched one to one and scored over all
files; single values (own date, deadline, country, case, language) are right or wrong per
file; a draft needs no edit when nothing in it is missed or wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SETS = ("emails", "phones", "faxes", "numbers_any", "targets", "salutations")
SINGLES = ("own_date", "deadline", "country", "case", "language")
GATED = tuple(name for name in (*SETS, *SINGLES) if name != "numbers_any")
CASE_LIMIT = 80
# Names that are a page's furniture, never a case (menus, banners, sign-offs).
_BOILERPLATE = re.compile(
    r"^\W*(urgent (action|appeal)s?|take action|trade unions|срочн\w* (акци\w*|обращени\w*)"
    r"|tagged:.*|dear all,?|downloads?|leave a reply|read more|skip to.*|main menu|home)\W*$"
    r"|cookie|patreon|^[\s|•]*$",
    re.IGNORECASE,
)


@dataclass
class Tally:
    """Right, given and labelled counts for one field."""

    right: int = 0
    given: int = 0
    labelled: int = 0

    def scores(self) -> dict[str, float | None]:
        return {
            "precision": round(self.right / self.given, 3) if self.given else None,
            "recall": round(self.right / self.labelled, 3) if self.labelled else None,
        }


@dataclass
class FileScore:
    """What one file's draft got wrong."""

    name: str
    misses: list[str] = field(default_factory=list)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def same_number(a: str, b: str) -> bool:
    """Tell whether two numbers are one: as digits, with or without an international prefix,
    a trunk 0 or 8, or a country code of up to three digits in front."""
    x, y = _digits(a), _digits(b)
    if not x or not y:
        return False

    def forms(value: str) -> set[str]:
        found = {value}
        if value.startswith("00"):
            found.add(value[2:])
        if value.startswith("011"):
            found.add(value[3:])
        return found

    for one in forms(x):
        for other in forms(y):
            if one == other:
                return True
            for p, q in ((one, other), (other, one)):
                for core in {p, p[1:] if p[:1] in "08" else p}:
                    if len(core) >= 7 and q.endswith(core) and len(q) - len(core) <= 3:
                        return True
    return False


def _email(text: str) -> str:
    return (text or "").strip().strip(".,;:()<>[]").lower()


def _salutation(text: str | None) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", (text or "").lower())).strip()


def _match(
    labelled: list[str], given: list[str], same: Callable[[str, str], bool], ignore: Iterable[str]
) -> tuple[int, int, list[str], list[str]]:
    """Match one to one; return (right, given, missed, wrong)."""
    ignored = list(ignore)
    given = [g for g in given if not any(same(g, i) for i in ignored)]
    used: set[int] = set()
    missed = []
    for label in labelled:
        hit = next((k for k, g in enumerate(given) if k not in used and same(label, g)), None)
        if hit is None:
            missed.append(label)
        else:
            used.add(hit)
    wrong = [g for k, g in enumerate(given) if k not in used]
    return len(used), len(given), missed, wrong


def score_file(
    name: str, labels: dict[str, Any], draft: dict[str, Any], language: str | None
) -> tuple[FileScore, dict[str, tuple[int, int, int]]]:
    """Score one draft (as ``import --json`` prints it) against its labels."""
    result = FileScore(name)
    counts: dict[str, tuple[int, int, int]] = {}
    targets = [t for t in draft.get("targets") or [] if isinstance(t, dict)]
    unscored = set(labels.get("unscored", []))
    ignore_numbers = labels.get("ignore_phones", []) + labels.get("ignore_faxes", [])
    phones = list(dict.fromkeys(_digits(p) for t in targets for p in t.get("phones") or []))
    faxes = list(dict.fromkeys(_digits(f) for t in targets for f in t.get("faxes") or []))
    sets = {
        "emails": (
            [_email(e) for e in labels["emails"]],
            sorted({_email(e) for t in targets for e in t.get("emails") or [] if e}),
            lambda a, b: a == b,
            [_email(e) for e in labels.get("ignore_emails", [])],
        ),
        "phones": (labels["phones"], phones, same_number, ignore_numbers),
        "faxes": (labels["faxes"], faxes, same_number, ignore_numbers),
        "numbers_any": (
            labels["phones"] + labels["faxes"],
            list(dict.fromkeys(phones + faxes)),
            same_number,
            ignore_numbers,
        ),
        "salutations": (
            [_salutation(s) for s in labels["salutations"]],
            sorted({_salutation(t.get("salutation")) for t in targets if t.get("salutation")}),
            lambda a, b: a == b,
            [],
        ),
    }
    for field_name, (wanted, given, same, ignore) in sets.items():
        right, scored, missed, wrong = _match(wanted, given, same, ignore)
        counts[field_name] = (right, scored, len(wanted))
        if field_name != "numbers_any":
            result.misses += [f"{field_name} missed {m!r}" for m in missed]
            result.misses += [f"{field_name} wrong {w!r}" for w in wrong]
    if "targets" not in unscored:
        counts["targets"] = _offices(labels, [t.get("name") or "" for t in targets], result)
    title = draft.get("title") or ""
    values = {
        "own_date": draft.get("issued_on"),
        "deadline": draft.get("deadline"),
        "country": (draft.get("country") or "").upper() or None,
        "language": (draft.get("language") or "")[:2].lower() or None,
    }
    expected: dict[str, Any] = {
        "own_date": labels.get("own_date"),
        "deadline": labels.get("deadline"),
        "country": labels.get("country"),
        "language": (language or "")[:2].lower() or None,
    }
    for field_name in ("own_date", "deadline", "country", "language"):
        if field_name in unscored or (field_name == "language" and not language):
            continue
        want, got = expected[field_name], values[field_name]
        if field_name in ("own_date", "deadline"):
            got = str(got)[:10] if got else None
        options = want if isinstance(want, list) else [want]
        right = got is not None and got in options
        labelled = field_name in ("country", "language") or want is not None
        counts[field_name] = (int(right), int(got is not None), int(labelled))
        if not right and (got is not None or labelled):
            result.misses.append(f"{field_name} expected {want!r} got {got!r}")
    if "case" not in unscored:
        names = [c.get("name") or "" for c in draft.get("cases") or [] if isinstance(c, dict)]
        keys = [k.lower() for k in labels["case"]["match_any"]]
        right = any(
            len(n) <= CASE_LIMIT
            and not _BOILERPLATE.search(n)
            and not (n.strip() == title.strip() and len(n.split()) > 5)
            and any(k in n.lower() for k in keys)
            for n in names
        )
        counts["case"] = (int(right), int(bool(names)), 1)
        if not right:
            result.misses.append(f"case expected {labels['case']['label']!r} got {names!r}")
    return result, counts


def _offices(labels: dict[str, Any], names: list[str], result: FileScore) -> tuple[int, int, int]:
    """Match drafted offices to labelled ones by their words; extras the labels allow count
    neither way, a second match of a found office is wrong."""
    allowed = [a.lower() for a in labels.get("allowed_extra_targets", [])]
    wanted = labels["targets"]

    def hits(label: dict[str, Any], name: str) -> bool:
        return any(k.lower() in name.lower() for k in label["match_any"])

    used: set[int] = set()
    for label in wanted:
        found = next((k for k, n in enumerate(names) if k not in used and hits(label, n)), None)
        if found is None:
            result.misses.append(f"targets missed {label['name']!r}")
        else:
            used.add(found)
    given = len(names)
    for k, name in enumerate(names):
        if k in used:
            continue
        if any(a in name.lower() for a in allowed) and not any(hits(lab, name) for lab in wanted):
            given -= 1
            continue
        result.misses.append(f"targets wrong {name!r}")
    return len(used), given, len(wanted)


def load(corpus: Path) -> tuple[list[tuple[Path, dict[str, Any], str | None]], list[str]]:
    """Return each labelled text with its labels and language, and the texts without labels."""
    labels = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    sources_path = corpus / "sources.json"
    sources = json.loads(sources_path.read_text("utf-8")) if sources_path.exists() else {}
    found, unlabelled = [], []
    for path in sorted(corpus.glob("*.txt")):
        if path.name not in labels:
            unlabelled.append(path.name)
            continue
        language = (sources.get(path.name) or {}).get("language")
        found.append((path, labels[path.name], language))
    return found, unlabelled


def summary(scored: list[tuple[FileScore, dict[str, tuple[int, int, int]]]]) -> dict[str, Any]:
    """Return precision and recall per field over all files, and the drafts needing no edit."""
    tallies = {name: Tally() for name in (*SETS, *SINGLES)}
    for _file, counts in scored:
        for name, (right, given, labelled) in counts.items():
            tally = tallies[name]
            tally.right += right
            tally.given += given
            tally.labelled += labelled
    fields = {name: tally.scores() for name, tally in tallies.items()}
    return {
        "files": len(scored),
        "zero_edit_drafts": sum(1 for file, _ in scored if not file.misses),
        "fields": fields,
        "pass": all(
            (fields[name]["precision"] or 1.0) >= 0.9 and (fields[name]["recall"] or 1.0) >= 0.9
            for name in GATED
        ),
        "misses": {file.name: file.misses for file, _ in scored if file.misses},
    }
