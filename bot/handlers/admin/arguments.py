"""What admins type after a command, read into what the services take."""

from __future__ import annotations

from bot.services.outcomes import OutcomeRequest
from core.ids import parse_user_id
from storage.enums import CaseStatus
from templates.i18n import N_

STATUS_WORDS: dict[str, CaseStatus] = {
    "released": CaseStatus.RELEASED,
    "freed": CaseStatus.RELEASED,
    "charges dropped": CaseStatus.CHARGES_DROPPED,
    "charges_dropped": CaseStatus.CHARGES_DROPPED,
    "dropped": CaseStatus.CHARGES_DROPPED,
    "acquitted": CaseStatus.ACQUITTED,
    "fined": CaseStatus.FINED,
    "sentenced": CaseStatus.SENTENCED,
    "convicted": CaseStatus.SENTENCED,
    "closed": CaseStatus.CLOSED,
    "open": CaseStatus.OPEN,
    "reopened": CaseStatus.OPEN,
}
OUTCOME_USAGE = N_(
    "/outcome <case> <status> [what happened], for example:\n"
    "/outcome Kuramshin released He was freed on 3 March.\n"
    "Statuses: released, charges dropped, acquitted, fined, sentenced, closed, open"
)


ADMINS_USAGE = N_(
    "Use /admins add <user id> or /admins remove <user id>: a Telegram user id is a "
    "positive number, as @userinfobot shows it."
)


def parse_outcome(argument: str) -> OutcomeRequest | None:
    """Split "<case> <status> [text]" at the first status word (None when there is none)."""
    words = argument.split()
    for index in range(1, len(words)):
        pair = " ".join(words[index : index + 2]).lower().strip(".,:;")
        single = words[index].lower().strip(".,:;")
        for phrase, width in ((pair, 2), (single, 1)):
            status = STATUS_WORDS.get(phrase)
            if status is not None:
                return OutcomeRequest(
                    case_query=" ".join(words[:index]),
                    status=status,
                    text=" ".join(words[index + width :]).strip(),
                )
    return None


def parse_admins(argument: str) -> tuple[str, int] | None:
    """Read "add <id>" or "remove <id>" (None when it is neither)."""
    words = argument.split()
    verb = words[0].lower() if words else ""
    user_id = parse_user_id(words[1] if len(words) > 1 else "")
    if verb not in ("add", "remove") or user_id is None:
        return None
    return verb, user_id
