"""Sealed addresses: a reader's chat id or email address is stored as ciphertext and a keyed
hash, under a data key that never enters the database.

A sealed value is ``1 ‖ key id (4 bytes) ‖ nonce (12) ‖ AES-256-GCM ciphertext``; its channel
and header are the associated data, so a sealed address cannot be moved to another channel.
Look-ups go by ``HMAC-SHA256(lookup key, channel ‖ address)``, cut to 128 bits; both keys
are derived (HKDF) from one 32-byte data key, whose id is derived from it too, so a database
and a key file that do not belong together are told apart at once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ConfigError

KEY_BYTES = 32
_VERSION = b"\x01"
_HEADER = 1 + 4
_NONCE = 12


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


@dataclass(frozen=True, slots=True)
class DataKey:
    """One data key: what seals addresses and what hashes them for look-ups."""

    secret: bytes = field(repr=False)
    id: int = field(init=False)
    _cipher: AESGCM = field(init=False, repr=False, compare=False)
    _lookup: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ConfigError("a data key is 32 bytes")
        key_id = int.from_bytes(_derive(self.secret, b"appealbot key id")[:4], "big") & 0x7FFFFFFF
        object.__setattr__(self, "id", key_id)
        object.__setattr__(self, "_cipher", AESGCM(_derive(self.secret, b"appealbot seal")))
        object.__setattr__(self, "_lookup", _derive(self.secret, b"appealbot lookup"))

    @classmethod
    def new(cls) -> DataKey:
        """Return a fresh random key."""
        return cls(os.urandom(KEY_BYTES))

    @classmethod
    def from_text(cls, text: str) -> DataKey:
        """Read a key written by ``as_text`` (base64), or say what is wrong with it."""
        try:
            secret = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError("a data key is 32 bytes in base64") from None
        if len(secret) != KEY_BYTES:
            raise ConfigError("a data key is 32 bytes in base64")
        return cls(secret)

    def as_text(self) -> str:
        """Return the key as base64, as key files and APPEALBOT_DATA_KEY hold it."""
        return base64.b64encode(self.secret).decode()

    def seal(self, channel: str, address: str) -> bytes:
        """Return an address sealed for a channel under this key."""
        header = _VERSION + self.id.to_bytes(4, "big")
        nonce = os.urandom(_NONCE)
        sealed = self._cipher.encrypt(nonce, address.encode(), header + channel.encode())
        return header + nonce + sealed

    def open(self, channel: str, sealed: bytes) -> str | None:
        """Return the address a sealed value holds (None if it was not sealed so)."""
        header, nonce, body = sealed[:_HEADER], sealed[_HEADER : _HEADER + _NONCE], sealed[17:]
        try:
            return self._cipher.decrypt(nonce, body, header + channel.encode()).decode()
        except (InvalidTag, ValueError):
            return None

    def lookup(self, channel: str, address: str) -> str:
        """Return the keyed hash an address is found by: HMAC-SHA256 cut to 128 bits (32 hex
        digits), enough to tell millions of addresses apart, and half the width to scan."""
        message = f"{channel}\x00{address}".encode()
        return hmac.new(self._lookup, message, hashlib.sha256).digest()[:16].hex()


def key_id_of(sealed: bytes) -> int | None:
    """Return the id of the key a sealed value was sealed with."""
    if len(sealed) < _HEADER or sealed[:1] != _VERSION:
        return None
    return int.from_bytes(sealed[1:_HEADER], "big")


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The key new values are sealed with, and the keys a rotation is moving away from."""

    current: DataKey
    retiring: tuple[DataKey, ...] = ()

    @property
    def keys(self) -> tuple[DataKey, ...]:
        """Return every key, the current first."""
        return (self.current, *self.retiring)

    def get(self, key_id: int) -> DataKey | None:
        """Return the key with this id, if the ring holds it."""
        return next((key for key in self.keys if key.id == key_id), None)


@dataclass(frozen=True, slots=True)
class Sealed:
    """An address as stored: its ciphertext, its look-up hash and the key's id."""

    sealed: bytes
    lookup: str
    key_id: int


class RingSource(Protocol):
    """Where the keys come from: a key file read again when it changes, or a fixed ring."""

    def __call__(self) -> KeyRing:
        """Return the ring, as recently read as the source finds it worth."""

    def fresh(self) -> KeyRing:
        """Return the ring as it is now (a rotation or a destruction seen at once)."""


class _Fixed:
    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    def __call__(self) -> KeyRing:
        return self._ring

    def fresh(self) -> KeyRing:
        return self._ring


class Sealer:
    """Seal, open and find addresses with the ring in force.

    Sealing and finding read the ring as it is now (a sign-up just after a rotation began,
    or after the key was destroyed, is sealed and found under the new key); opening, which
    a broadcast does for every reader, reads it at most as often as its source allows.
    """

    def __init__(self, ring: RingSource) -> None:
        self._ring = ring

    @classmethod
    def fixed(cls, ring: KeyRing) -> Sealer:
        """Return a sealer over a ring that never changes (an environment secret, tests)."""
        return cls(_Fixed(ring))

    @property
    def ring(self) -> KeyRing:
        """Return the keys in force now."""
        return self._ring.fresh()

    def seal(self, channel: str, address: str) -> Sealed:
        """Return an address sealed with the current key."""
        key = self._ring.fresh().current
        return Sealed(key.seal(channel, address), key.lookup(channel, address), key.id)

    def open(self, channel: str, sealed: bytes | None) -> str | None:
        """Return the address a sealed value holds (None: none, or its key is gone)."""
        if sealed is None:
            return None
        key_id = key_id_of(sealed)
        if key_id is None:
            return None
        # A key not in the ring as last read may have come in a rotation since: look again.
        key = self._ring().get(key_id) or self._ring.fresh().get(key_id)
        return None if key is None else key.open(channel, sealed)

    def lookups(self, channel: str, address: str) -> list[str]:
        """Return every hash the address may be stored under (more than one in a rotation)."""
        return [key.lookup(channel, address) for key in self._ring.fresh().keys]
