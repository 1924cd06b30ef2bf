"""The sandbox's terminal chat: type as a subscriber or an admin, read what the bot says.

Bot messages are shown as text (bold as *bold*, links with their address), their buttons as
numbered choices to type, edits as they happen, and every email that would have gone out.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TextIO

import aiohttp

from bot.telegram.updates import HandledUpdates
from emulator import BotApiEmulator, Sent
from emulator.mailbox import Sink

HELP = """Type as a Telegram user: /start, /appeals, /case Kurmanov, /subscribe, /email a@b.org …
  a number          tap that button of the messages above
  :paste            send several lines as one message (an appeal's text); end with a "."
  :admin            act as the admin (/newappeal, /stats, /outcome …)
  :subscriber       act as the subscriber again
  :mail             show the emails sent so far; :mail N shows email N in full
  :open N           open the first link in email N (a confirmation, an unsubscribe page)
  :wait             wait for more (long answers come a message a second, as Telegram allows)
  :help             this list
  :quit             stop the sandbox (nothing is kept)"""

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_URL = re.compile(r"https?://[^\s\"<>]+")


def readable(markup: str) -> str:
    """Turn Telegram HTML into text a terminal shows well."""
    text = _LINK.sub(
        lambda m: m.group(2) if m.group(2) == m.group(1) else f"{m.group(2)} ({m.group(1)})", markup
    )
    text = re.sub(r"</?(b|strong)>", "*", text)
    text = re.sub(r"</?(i|em)>", "_", text)
    text = re.sub(r"</?(code|pre)[^>]*>", "`", text)
    text = re.sub(r"<blockquote[^>]*>", "│ ", text)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text)


def plain_text(message: EmailMessage) -> str:
    """Return the plain-text part of an email."""
    part = message.get_body(("plain",))
    return str(part.get_content()) if part is not None else ""


@dataclass
class Console:
    """What the operator sees and types in the sandbox."""

    emulator: BotApiEmulator
    mailbox: Sink
    out: TextIO
    subscriber: int
    admin: int
    web: str
    handled: HandledUpdates = field(default_factory=HandledUpdates)
    who: int = 0
    choices: list[tuple[Sent, dict[str, object]]] = field(default_factory=list)
    _edits: dict[tuple[int, int], int] = field(default_factory=dict)
    _mails: int = 0
    _pasting: list[str] | None = None

    def __post_init__(self) -> None:
        self.who = self.who or self.subscriber

    @property
    def role(self) -> str:
        """Return who the operator is acting as."""
        return "admin" if self.who == self.admin else "subscriber"

    def say(self, text: str = "") -> None:
        """Write a line."""
        self.out.write(text + "\n")
        self.out.flush()

    def prompt(self) -> None:
        """Ask for the next line."""
        if self._pasting is not None:
            return
        self.out.write(f"\n[{self.role}] > ")
        self.out.flush()

    async def handle(self, line: str) -> bool:
        """Act on one typed line; return False to stop."""
        if self._pasting is not None:
            if line.strip() != ".":
                self._pasting.append(line.rstrip("\n"))
                return True
            text, self._pasting = "\n".join(self._pasting).strip(), None
            if text:
                await self.settle(self.emulator.send_text(self.who, text))
            self.show_new()
            return True
        line = line.strip()
        if not line:
            return True
        if line == ":paste":
            self._pasting = []
            self.say("Paste the text; a line with a single . sends it.")
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        if line == ":help":
            self.say(HELP)
        elif line == ":wait":
            await self.quiet(2.0)
        elif line == ":admin":
            self.who = self.admin
            self.say(f"You are the admin now (Telegram id {self.admin}).")
        elif line in (":subscriber", ":user"):
            self.who = self.subscriber
            self.say("You are the subscriber now.")
        elif line.startswith(":mail"):
            self.show_mail(line.removeprefix(":mail").strip())
        elif line.startswith(":open"):
            await self.open_link(line.removeprefix(":open").strip())
        elif line.isdigit():
            await self.tap(int(line))
        elif line.startswith(":"):
            self.say("Unknown command; :help lists them.")
        else:
            await self.settle(self.emulator.send_text(self.who, line))
        self.show_new()
        return True

    async def tap(self, number: int) -> None:
        """Tap a numbered button."""
        if not 1 <= number <= len(self.choices):
            self.say(f"There is no button {number}.")
            return
        message, button = self.choices[number - 1]
        if "url" in button:
            self.say(f"That button opens {button['url']}")
            return
        query = self.emulator.tap_data(message, str(button["callback_data"]), user_id=self.who)
        await self.settle(self.emulator.world.last_update_id)
        answer = self.emulator.world.callback_answers.get(query, {})
        if answer.get("text"):
            self.say(f"  ({answer['text']})")

    async def settle(self, update_id: int, *, limit: float = 15.0) -> None:
        """Wait until the bot has handled what was typed, and what follows at once."""
        try:
            async with asyncio.timeout(limit):
                await self.handled.wait(update_id)
        except TimeoutError:
            await self.quiet(1.2)
            return
        await self.quiet(0.3)

    async def quiet(self, quiet: float, *, limit: float = 15.0) -> None:
        """Wait until nothing new has come for ``quiet`` seconds."""
        started = last_change = time.monotonic()
        seen = self._fingerprint()
        while time.monotonic() - last_change < quiet and time.monotonic() - started < limit:
            await asyncio.sleep(0.05)
            now = self._fingerprint()
            if now != seen:
                seen, last_change = now, time.monotonic()

    def _fingerprint(self) -> tuple[int, int, int]:
        world = self.emulator.world
        messages = sum(len(items) for items in world.messages.values())
        edits = sum(sent.edits for items in world.messages.values() for sent in items)
        return messages, edits, len(self.mailbox.messages)

    def show_new(self) -> None:
        """Show new and edited messages in both chats, and new emails."""
        for chat in (self.subscriber, self.admin):
            label = "you" if chat == self.who else self._role_of(chat)
            for sent in self.emulator.world.messages.get(chat, []):
                key = (chat, sent.message_id)
                if key not in self._edits:
                    self._edits[key] = sent.edits
                    self._show(sent, f"bot → {label}")
                elif sent.edits != self._edits[key]:
                    self._edits[key] = sent.edits
                    self._show(sent, f"bot → {label} (edited)")
        for number, message in enumerate(self.mailbox.messages[self._mails :], self._mails + 1):
            self.say(f"\n📧 email {number} to {message['To']}: {message['Subject']}")
            self.say(f"   (:mail {number} shows it, :open {number} opens its first link)")
        self._mails = len(self.mailbox.messages)

    def _role_of(self, chat: int) -> str:
        return "admin" if chat == self.admin else "subscriber"

    def _show(self, sent: Sent, heading: str) -> None:
        self.say(f"\n── {heading} ──")
        self.say(readable(sent.html or sent.text))
        labels = []
        for button in sent.buttons:
            self.choices.append((sent, button))
            labels.append(f"[{len(self.choices)}] {button['text']}")
        if labels:
            self.say("   " + "   ".join(labels))

    def show_mail(self, which: str) -> None:
        """List the emails, or show one in full."""
        messages = self.mailbox.messages
        if not which:
            if not messages:
                self.say("No email has gone out yet.")
            for number, message in enumerate(messages, 1):
                self.say(f"{number}. to {message['To']}: {message['Subject']}")
            return
        if not which.isdigit() or not 1 <= int(which) <= len(messages):
            self.say(f"There is no email {which}.")
            return
        message = messages[int(which) - 1]
        self.say(f"From: {message['From']}\nTo: {message['To']}\nSubject: {message['Subject']}")
        self.say(f"List-Unsubscribe: {message['List-Unsubscribe']}\n")
        self.say(plain_text(message))

    def _show_page(self, body: str) -> None:
        heading = re.search(r"<h1>(.*?)</h1>", body, re.DOTALL)
        paragraph = re.search(r"<p>(.*?)</p>", body, re.DOTALL)
        for found in (heading, paragraph):
            if found:
                self.say("  " + readable(found.group(1)))

    async def open_link(self, which: str) -> None:
        """Open the first link of an email, as its reader would."""
        messages = self.mailbox.messages
        if not which.isdigit() or not 1 <= int(which) <= len(messages):
            self.say(f"There is no email {which}.")
            return
        text = plain_text(messages[int(which) - 1])
        links = [url for url in _URL.findall(text) if url.startswith(self.web)]
        if not links:
            self.say("That email has no link to this sandbox.")
            return
        async with aiohttp.ClientSession() as http:
            async with http.get(links[0]) as page:
                body = await page.text()
            self.say(f"Opened {links[0]}: {page.status}")
            self._show_page(body)
            # A page with one button (confirm, unsubscribe, delete): the reader presses it.
            form = re.search(r'<form method="post" action="([^"]+)">', body)
            button = re.search(r"<button[^>]*>(.*?)</button>", body, re.DOTALL)
            if form and button and "<input" not in body:
                async with http.post(self.web + form.group(1)) as pressed:
                    answer = await pressed.text()
                self.say(f"Pressed “{readable(button.group(1))}”: {pressed.status}")
                self._show_page(answer)
        await self.quiet(0.3)
