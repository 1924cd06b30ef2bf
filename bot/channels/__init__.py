"""Channels: each one module that sends through its service and renders its own format.

A channel declares its name, the item kinds it renders (``renders``), what else it can do
(``can``: edit a sent message, answer its own posts, reach the admins, count its readers'
protests) and, through ``build(settings, parts)``, whether it is configured. The engine sees
only the sending half (``bot.delivery.channels.Courier``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.delivery.channels import Courier, Message
from bot.presentation.news import View
from bot.presentation.render import Presenter
from core.timing import Clock
from storage.repo.deliveries import Recipient

if TYPE_CHECKING:
    from storage.items import Item


class Channel(Courier, Protocol):
    """A courier that renders what it sends."""

    renders: frozenset[type[Item]]  # the item kinds it sends (others are never queued to it)

    def render(self, view: View, recipient: Recipient) -> Message | None:
        """Write a resolved item in this channel's format, for this recipient, in the
        language being spoken (None: nothing to send it)."""


@dataclass(frozen=True, slots=True)
class Parts:
    """What the composition root builds once and hands to every channel's ``build``."""

    presenter: Presenter  # words and templates
    clock: Clock
    public_url: str  # the site's address, for links back to it
