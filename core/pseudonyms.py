"""Keyed hashes: count a person once, or name them in a log line, without storing who."""

from __future__ import annotations

import hashlib
import hmac


class Pseudonyms:
    """HMAC-SHA256 under a server secret kept outside the database.

    Without the secret, a hash in the database cannot be tied to a Telegram user; with a
    new secret, old hashes match nobody (protests already counted stay counted).
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a pseudonym key needs at least 16 bytes")
        self._key = key

    @classmethod
    def derived(cls, secret: str, purpose: str = "appealbot pseudonyms") -> Pseudonyms:
        """Derive the key from a secret the operator already keeps (the bot token)."""
        return cls(hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest())

    def _hash(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def protest(self, user_id: int, appeal_id: int) -> str:
        """Return who tapped "I sent a protest" on an appeal, as a hash (64 hex digits)."""
        return self._hash(f"protest:{user_id}:{appeal_id}")

    def browser_protest(self, browser: str, appeal_id: int) -> str:
        """Return a browser's "I sent a protest" on an appeal's page, as a hash."""
        return self._hash(f"web-protest:{browser}:{appeal_id}")

    def requester(self, chat_id: int) -> str:
        """Return the chat that asked for an email sign-up, as a hash (64 hex digits)."""
        return self._hash(f"requester:{chat_id}")

    def form_token(self, scope: str) -> str:
        """Return the token a page's own form carries for ``scope`` (a form and a time)."""
        return self._hash(f"form:{scope}")[:32]

    def client(self, address: str) -> str:
        """Return a short stand-in for a client address, kept in memory only."""
        return self._hash(f"client:{address}")[:16]

    def for_log(self, value: int | str) -> str:
        """Return a short stable stand-in for a chat id or an address in a log line."""
        return f"#{self._hash(f'log:{value}')[:10]}"
