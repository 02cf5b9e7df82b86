"""Identifiers: time-ordered UUIDs (version 7 layout), so "newest first" is "largest id first".

Time order lets every list endpoint page with a plain id cursor instead of (timestamp, id)
pairs, and keeps B-tree inserts at the right edge of the index.
"""

from __future__ import annotations

import secrets
import time
import uuid


def new_id() -> str:
    """A UUIDv7: 48 bits of Unix milliseconds, then random bits, with version and variant set."""
    millis = time.time_ns() // 1_000_000
    rand = secrets.randbits(74)
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (rand >> 62) << 64  # 12 random bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def is_id(value: str) -> bool:
    """Whether ``value`` looks like one of our ids (cheap guard before a database lookup)."""
    try:
        return uuid.UUID(value).version == 7
    except (ValueError, AttributeError):
        return False
