"""Identifiers: time-ordered UUIDs (version 7 layout), so "newest first" is "largest id first".

Time order lets every list endpoint page with a plain id cursor instead of (timestamp, id)
pairs, and keeps B-tree inserts at the right edge of the index.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid

_lock = threading.Lock()
_last = 0


def _pack(millis: int, rand: int) -> int:
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (rand >> 62) << 64  # 12 random bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return value


def new_id() -> str:
    """A UUIDv7: 48 bits of Unix milliseconds, then random bits, with version and variant set.

    Within one process ids strictly increase even inside one millisecond (RFC 9562's monotonic
    random method), so rows created one after another list in creation order."""
    global _last
    with _lock:
        candidate = _pack(time.time_ns() // 1_000_000, secrets.randbits(74))
        if candidate <= _last:
            millis, rand = _last >> 80, ((_last >> 64) & 0xFFF) << 62 | (_last & ((1 << 62) - 1))
            rand += 1 + secrets.randbits(16)
            if rand >= 1 << 74:
                millis, rand = millis + 1, 0
            candidate = _pack(millis, rand)
        _last = candidate
    return str(uuid.UUID(int=candidate))


def is_id(value: str) -> bool:
    """Whether ``value`` looks like one of our ids (cheap guard before a database lookup)."""
    try:
        return uuid.UUID(value).version == 7
    except (ValueError, AttributeError):
        return False
