"""Callback data for inline buttons: short, typed, at most 64 bytes, checked on the way in.

Anyone can send any callback data (an old button, a forged one), so every argument is read
by its kind and range; data that does not fit is "a button that has expired".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from core.ids import parse_row_id

MAX_CALLBACK_BYTES = 64
MAX_OFFSET = 1_000_000
_DIGITS = re.compile(r"^[0-9]{1,7}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_NAME = re.compile(r"^[a-z][a-z_]{0,19}$")


class Action(StrEnum):
    CASE = "case"
    APPEAL = "apl"
    APPEALS_PAGE = "apls"
    CONTACTS_CASE = "ctc"
    CONTACTS_APPEAL = "cta"
    LETTER_CASE = "ltc"
    LETTER_APPEAL = "lta"
    PROTEST = "prt"
    FOLLOW = "fol"
    SUBSCRIBE = "sub"
    HELP = "help"
    SET_URGENT = "surg"
    SET_COUNTRY = "sctr"
    UNFOLLOW = "sunf"
    DRAFT_PUBLISH = "dpub"
    DRAFT_EDIT = "dedt"
    DRAFT_FIELD = "dfld"
    DRAFT_BACK = "dbck"
    DRAFT_CANCEL = "dcan"
    DRAFT_TODAY = "dtdy"
    SOURCE_DRAFT = "sdft"  # a followed source's draft, sent to every admin
    RETRY_FAILED = "rtry"
    SEND_OPEN = "sopn"
    FORGET = "fgt"
    SET_ZONE = "szon"
    SET_LANGUAGE = "slng"
    CONFIRM_BROADCAST = "cbrd"  # a second admin lets a large broadcast go out


class Arg(StrEnum):
    ID = "id"  # a row id
    ID_OR_ZERO = "id0"  # a row id, or 0 for none
    FLAG = "flag"  # 0 or 1
    OFFSET = "offset"  # 0 to MAX_OFFSET
    COUNTRY = "country"  # an ISO code
    NAME = "name"  # a lower-case identifier (a draft field)


ARGS: dict[Action, tuple[Arg, ...]] = {
    Action.CASE: (Arg.ID,),
    Action.APPEAL: (Arg.ID,),
    Action.APPEALS_PAGE: (Arg.OFFSET,),
    Action.CONTACTS_CASE: (Arg.ID,),
    Action.CONTACTS_APPEAL: (Arg.ID,),
    Action.LETTER_CASE: (Arg.ID, Arg.NAME),  # the letters' language
    Action.LETTER_APPEAL: (Arg.ID, Arg.NAME),
    Action.PROTEST: (Arg.ID, Arg.ID_OR_ZERO),
    Action.FOLLOW: (Arg.ID,),
    Action.SUBSCRIBE: (),
    Action.HELP: (),
    Action.SET_URGENT: (Arg.FLAG,),
    Action.SET_COUNTRY: (Arg.COUNTRY,),
    Action.UNFOLLOW: (Arg.ID,),
    Action.CONFIRM_BROADCAST: (Arg.ID,),
    Action.DRAFT_PUBLISH: (Arg.FLAG, Arg.FLAG),  # urgent; the pasted summary confirmed
    Action.DRAFT_EDIT: (),
    Action.DRAFT_FIELD: (Arg.NAME,),
    Action.DRAFT_BACK: (),
    Action.DRAFT_CANCEL: (),
    Action.DRAFT_TODAY: (),
    Action.SOURCE_DRAFT: (Arg.ID, Arg.NAME),  # the source's item; what the admin chose
    Action.RETRY_FAILED: (Arg.ID,),
    Action.SEND_OPEN: (),
    Action.FORGET: (Arg.FLAG,),
    Action.SET_ZONE: (Arg.OFFSET,),  # a place in COMMON_ZONES
    Action.SET_LANGUAGE: (Arg.NAME,),
}
# Buttons sent before an argument was added still work: it is optional at the end.
OPTIONAL_LAST = frozenset(
    {Action.APPEALS_PAGE, Action.DRAFT_PUBLISH, Action.LETTER_CASE, Action.LETTER_APPEAL}
)


def _valid(kind: Arg, value: str) -> bool:
    if kind is Arg.ID:
        return parse_row_id(value) is not None
    if kind is Arg.ID_OR_ZERO:
        return parse_row_id(value, zero=True) is not None
    if kind is Arg.FLAG:
        return value in ("0", "1")
    if kind is Arg.OFFSET:
        return bool(_DIGITS.match(value)) and int(value) <= MAX_OFFSET
    if kind is Arg.COUNTRY:
        return bool(_COUNTRY.match(value))
    return bool(_NAME.match(value))


@dataclass(frozen=True, slots=True)
class Callback:
    action: Action
    args: tuple[str, ...] = ()

    def encode(self) -> str:
        """Return the callback_data string."""
        data = ":".join((self.action.value, *self.args))
        if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
        return data

    def int_arg(self, position: int = 0) -> int:
        """Return an argument as a number (checked by ``parse``)."""
        return int(self.args[position])

    def flag(self, position: int = 0) -> bool:
        """Return a 0/1 argument as a truth value."""
        return self.args[position] == "1"


def make(action: Action, *args: object) -> str:
    """Encode a callback for a button."""
    return Callback(action, tuple(str(arg) for arg in args)).encode()


def parse(data: str | None) -> Callback | None:
    """Decode and check callback data, or None when it is not a button of ours as it is now."""
    if not data or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        return None
    head, *args = data.split(":")
    try:
        action = Action(head)
    except ValueError:
        return None
    kinds = ARGS[action]
    if action in OPTIONAL_LAST and len(args) == len(kinds) - 1:
        kinds = kinds[:-1]
    if len(args) != len(kinds) or not all(map(_valid, kinds, args)):
        return None
    return Callback(action, tuple(args))


def pattern(action: Action) -> str:
    """Return the regex PTB matches this action's buttons with."""
    return rf"^{action.value}(:|$)"
