"""The key file: where the data key lives, outside the database and its backups."""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from core.errors import ConfigError
from core.sealing import DataKey, KeyRing

log = logging.getLogger(__name__)

_NOTE = (
    "appealbot's data key: without it the subscribers' addresses in the database and in its "
    "backups cannot be read. Keep it apart from the backups, readable by the service only."
)


def default_key_file() -> Path:
    """Return where the key file goes unless APPEALBOT_KEY_FILE says: the user's config
    folder, so not beside the database (a copy of the database's folder lacks it)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "appealbot" / "data.key"


def _encode(ring: KeyRing) -> bytes:
    document = {
        "note": _NOTE,
        "current": ring.current.as_text(),
        "retiring": [key.as_text() for key in ring.retiring],
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _decode(path: Path, data: bytes) -> KeyRing:
    try:
        document = json.loads(data)
        current = DataKey.from_text(document["current"])
        retiring = tuple(DataKey.from_text(text) for text in document.get("retiring", []))
    except (ValueError, KeyError, TypeError, ConfigError):
        raise ConfigError(
            "%(path)s is not an appealbot key file (or it was destroyed)", path=str(path)
        ) from None
    return KeyRing(current, retiring)


class KeyFile:
    """A key file, read again when it changes (a rotation, a destruction by another process)."""

    def __init__(
        self,
        path: Path,
        *,
        every: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._every = every
        self._monotonic = monotonic
        self._ring: KeyRing | None = None
        self._seen: tuple[int, int, int] | None = None
        self._checked = float("-inf")

    @property
    def described(self) -> str:
        """Say where the key is, as an operator is told."""
        return f"the key file {self.path}"

    def exists(self) -> bool:
        """Tell whether the file is there."""
        return self.path.exists()

    def create(self) -> KeyRing:
        """Make the file with a new key (mode 0600, its folder 0700); never over another."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        ring = KeyRing(DataKey.new())
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self.read()
        with os.fdopen(descriptor, "wb") as file:
            file.write(_encode(ring))
            file.flush()
            os.fsync(file.fileno())
        log.info("made a new data key file")
        return self.read()

    def read(self) -> KeyRing:
        """Read the ring from the file now."""
        try:
            info = self.path.stat()
            data = self.path.read_bytes()
        except FileNotFoundError:
            raise ConfigError(
                "there is no key file at %(path)s (APPEALBOT_KEY_FILE)", path=str(self.path)
            ) from None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("the key file can be read by others than its owner: chmod 600 it")
        self._ring = _decode(self.path, data)
        self._seen = (info.st_ino, info.st_mtime_ns, info.st_size)
        self._checked = self._monotonic()
        return self._ring

    def __call__(self) -> KeyRing:
        """Return the ring, looking at the file at most once per ``every`` seconds."""
        if self._ring is None or self._monotonic() - self._checked >= self._every:
            return self.fresh()
        return self._ring

    def fresh(self) -> KeyRing:
        """Return the ring as the file holds it now (one stat; read only if it changed)."""
        self._checked = self._monotonic()
        try:
            info = self.path.stat()
        except FileNotFoundError:
            info = None
        if self._ring is None or info is None:
            return self.read()
        if (info.st_ino, info.st_mtime_ns, info.st_size) != self._seen:
            return self.read()
        return self._ring

    def write(self, ring: KeyRing) -> None:
        """Replace the file's ring at once (a new file renamed over it, both synced)."""
        partial = self.path.with_name(self.path.name + ".partial")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(_encode(ring))
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, self.path)
        _sync_folder(self.path.parent)
        self.read()

    def destroy(self) -> KeyRing:
        """Overwrite every key in the file, then give it a new one; return the new ring."""
        size = self.path.stat().st_size
        with open(self.path, "r+b") as file:
            for _ in range(3):
                file.seek(0)
                file.write(os.urandom(size))
                file.flush()
                os.fsync(file.fileno())
        self._ring = None
        self.write(KeyRing(DataKey.new()))
        return self.read()


def _sync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class FixedKeys:
    """A ring given whole (APPEALBOT_DATA_KEY, tests): never read again, never changed."""

    path: Path | None = None
    described = "APPEALBOT_DATA_KEY"

    def __init__(self, ring: KeyRing) -> None:
        self._ring = ring

    def exists(self) -> bool:
        """Tell whether the keys are there (always)."""
        return True

    def create(self) -> KeyRing:
        """Return the ring (there is nothing to make)."""
        return self._ring

    def __call__(self) -> KeyRing:
        """Return the ring."""
        return self._ring

    def fresh(self) -> KeyRing:
        """Return the ring."""
        return self._ring


Keys = KeyFile | FixedKeys
