"""The data key of the tests: one fixed key, so that every process of a test (the bot, a
worker, the test's own checks) opens the same addresses."""

from __future__ import annotations

import hashlib

from core.keyfile import FixedKeys
from core.sealing import DataKey, KeyRing, Sealer

TEST_KEY = DataKey(hashlib.sha256(b"appealbot tests").digest())
TEST_KEY_TEXT = TEST_KEY.as_text()
TEST_KEYS = FixedKeys(KeyRing(TEST_KEY))
TEST_SEALER = Sealer(TEST_KEYS)


def sealed(channel: str, address: str) -> dict[str, object]:
    """Return the columns that store an address as the service stores it."""
    seal = TEST_SEALER.seal(channel, address)
    return {"address_sealed": seal.sealed, "address_hash": seal.lookup, "sealed_with": seal.key_id}


def lookup(channel: str, address: str) -> str:
    """Return the hash an address is found by."""
    return TEST_KEY.lookup(channel, address)
