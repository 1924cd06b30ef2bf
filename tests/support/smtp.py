"""The SMTP sink tests mail to (it lives beside the Bot API emulator)."""

from emulator.mailbox import Sink, free_port, smtp_server

__all__ = ["Sink", "free_port", "smtp_server"]
