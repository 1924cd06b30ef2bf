"""A Bot API server for tests: speaks HTTP like api.telegram.org and lets tests act as users."""

from emulator.limits import Limits
from emulator.server import PROXY_PAGE, TRUNCATED_JSON, BotApiEmulator, Faults
from emulator.state import BOT_USER_ID, Sent

__all__ = [
    "BOT_USER_ID",
    "PROXY_PAGE",
    "TRUNCATED_JSON",
    "BotApiEmulator",
    "Faults",
    "Limits",
    "Sent",
]
