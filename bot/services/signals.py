"""What services tell the delivery engine after a commit: there is work, or stop some."""

from __future__ import annotations

from typing import Protocol

from storage.enums import Channel


class DeliverySignals(Protocol):
    """The delivery engine, as services see it."""

    def wake(self) -> None:
        """Look for due deliveries now."""

    def withdraw(self, appeal_id: int) -> None:
        """Send nothing more of this appeal."""


class NoDelivery:
    """Nothing sends from this process (a command that only queues); signals go nowhere."""

    def wake(self) -> None:
        """Nothing to wake."""

    def withdraw(self, appeal_id: int) -> None:
        """Nothing to stop."""


def configured_channels(*, telegram: bool, email: bool) -> tuple[Channel, ...]:
    """Return the channels appeals are queued for, by what the operator configured."""
    channels = [Channel.TELEGRAM] if telegram else []
    if email:
        channels.append(Channel.EMAIL)
    return tuple(channels)
