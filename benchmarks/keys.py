"""The data key of a benchmark run: one per run, shared by every process it starts."""

from __future__ import annotations

import os

from core.keyfile import FixedKeys
from core.sealing import DataKey, KeyRing, Sealer

# A process started by a benchmark (a worker, a second run) takes its parent's key.
BENCH_KEY_TEXT = os.environ.get("APPEALBOT_DATA_KEY") or DataKey.new().as_text()
BENCH_SEALER = Sealer(FixedKeys(KeyRing(DataKey.from_text(BENCH_KEY_TEXT))))


def sealed(channel: str, address: str) -> dict[str, object]:
    """Return the columns that store an address as the service stores it."""
    seal = BENCH_SEALER.seal(channel, address)
    return {"address_sealed": seal.sealed, "address_hash": seal.lookup, "sealed_with": seal.key_id}
