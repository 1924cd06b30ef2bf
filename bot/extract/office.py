"""An office to write to, as a text gives it, and what a text gives in all."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.extract.spans import Label
from storage.enums import TargetKind

NAME_LIMIT = 160
HIDDEN_NOTE = "An e-mail address here was hidden by the page's protection: see the original."


@dataclass
class Office:
    """An office read from the text, with the contacts its block gives."""

    names: list[str] = field(default_factory=list)
    address: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    faxes: list[str] = field(default_factory=list)
    salutation: str | None = None
    notes: list[str] = field(default_factory=list)
    kind: TargetKind = TargetKind.PROTEST
    closed: bool = False  # its contacts have begun: a name line now starts the next office
    advised: bool = False  # named in a sentence ("…and copies to your embassy"), not a block
    publisher: bool = False  # the publisher's own contacts ("if you have questions")
    listed: bool = False  # listed under a lead-in ("Please send protests to:")
    recipient: bool = False  # named by the envelope line after its address
    last_number: str | None = None  # the number read last ("(This is the fax …)" follows it)

    @property
    def name(self) -> str:
        """Return the office's name as its block gives it."""
        name = ", ".join(self.names) or (self.address[0] if self.address else "")
        if len(name) > NAME_LIMIT:
            name = name[:NAME_LIMIT].rsplit(" ", 1)[0] + "…"
        return name

    @property
    def has_contacts(self) -> bool:
        """Tell whether there is a way to reach the office."""
        return bool(self.emails or self.phones or self.faxes or self.address)

    def take(self, label: Label | None, numbers: list[str]) -> None:
        """Add numbers under the label the text gives them (a phone when it gives none)."""
        bucket = self.faxes if label is Label.FAX else self.phones
        for number in numbers:
            if number not in self.faxes and number not in self.phones:
                bucket.append(number)
                self.last_number = number

    def take_emails(self, emails: list[str]) -> None:
        """Add emails not yet known."""
        self.emails.extend(email for email in emails if email not in self.emails)

    def join(self, other: Office) -> None:
        """Take the contacts another reading of this office found."""
        self.take_emails(other.emails)
        self.phones.extend(p for p in other.phones if p not in self.phones)
        self.faxes.extend(f for f in other.faxes if f not in self.faxes)
        self.address = self.address or other.address
        self.salutation = self.salutation or other.salutation


@dataclass
class Reading:
    """The offices a text gives, and the contacts it could not place."""

    offices: list[Office]
    unplaced: list[str]
