"""The secret key: made once, kept outside every output, used through HMAC only.

A key file holds one line, ``workgym-key-v1:<64 hex digits>``. Outputs record only its
:func:`fingerprint`, from which the key cannot be recovered.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import random
import secrets
from pathlib import Path

_PREFIX = "workgym-key-v1:"


class KeyFileError(Exception):
    """A key file that is missing or malformed."""


def keygen(path: Path, *, overwrite: bool = False) -> bytes:
    """Write a new random key to ``path`` (readable by its owner only) and return it.

    Raises:
        FileExistsError: ``path`` exists and ``overwrite`` is false.
    """
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path}: a key file is already there; refusing to replace it")
    key = secrets.token_bytes(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(f"{_PREFIX}{key.hex()}\n")
    return key


def load_key(path: Path) -> bytes:
    """Read a key file.

    Raises:
        KeyFileError: the file is missing or is not a workgym key.
    """
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such key file (make one with `workgym keygen {path}`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"{path}: cannot read the key file ({exc})") from exc
    if not text.startswith(_PREFIX):
        raise KeyFileError(f"{path}: not a workgym key file (expected a line starting {_PREFIX!r})")
    try:
        key = bytes.fromhex(text[len(_PREFIX) :])
    except ValueError:
        raise KeyFileError(f"{path}: the key is not hexadecimal") from None
    if len(key) < 16:
        raise KeyFileError(f"{path}: the key is too short ({len(key)} bytes; at least 16)")
    return key


def fingerprint(key: bytes) -> str:
    """A short public name for a key: the first 16 hex digits of a hash of it."""
    return hashlib.sha256(b"workgym-key-fingerprint\0" + key).hexdigest()[:16]


class Keyed:
    """Deterministic randomness derived from the key and a value: HMAC-SHA256(key, kind, value)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def digest(self, kind: str, value: str) -> bytes:
        """32 bytes that only the key holder can compute from (kind, value)."""
        return hmac.digest(self._key, f"{kind}\0{value}".encode(), "sha256")

    def seed(self, kind: str, value: str) -> int:
        """A 64-bit seed for (kind, value)."""
        return int.from_bytes(self.digest(kind, value)[:8], "big")

    def rng(self, kind: str, value: str) -> random.Random:
        """A random generator seeded from (kind, value)."""
        return random.Random(self.seed(kind, value))

    def hex(self, kind: str, value: str, length: int) -> str:
        """``length`` hex digits derived from (kind, value)."""
        out = ""
        counter = 0
        while len(out) < length:
            out += self.digest(kind, f"{value}\0{counter}").hex()
            counter += 1
        return out[:length]
