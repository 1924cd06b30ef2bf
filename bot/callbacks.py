"""Callback data for inline buttons: short, typed, at most 64 bytes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MAX_CALLBACK_BYTES = 64


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
        """Return an argument as a number (ValueError when it is not one)."""
        return int(self.args[position])


def make(action: Action, *args: object) -> str:
    """Encode a callback for a button."""
    return Callback(action, tuple(str(arg) for arg in args)).encode()


def parse(data: str | None) -> Callback | None:
    """Decode callback data, or None when it is not ours."""
    if not data:
        return None
    head, *args = data.split(":")
    try:
        return Callback(Action(head), tuple(args))
    except ValueError:
        return None


def pattern(action: Action) -> str:
    """Return the regex PTB matches this action's buttons with."""
    return rf"^{action.value}(:|$)"
