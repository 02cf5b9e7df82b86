"""One cursor pagination for every list: newest first, cursor = the last id seen (ids sort by time)."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from docintake.errors import ValidationFailed
from docintake.ids import is_id

T = TypeVar("T")
MAX_LIMIT = 200


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = ""
    if not is_id(value):  # base64 decoding is lenient: "!!!" decodes to "", "aGVsbG8" to "hello"
        raise ValidationFailed("cursor is not a cursor this API returned")
    return value


def paginate(
    session: Session,
    query: Select[T],
    id_column: InstrumentedAttribute[Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[T], str | None]:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}")
    if cursor:
        query = query.where(id_column < decode_cursor(cursor))
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(getattr(rows[-1], "id"))  # noqa: B009
    return rows, None
