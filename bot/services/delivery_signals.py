"""What services tell the delivery engine after a commit: there is work, or stop some."""

from __future__ import annotations

from typing import Protocol


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
