"""Idempotency-Key bookkeeping: the first answer to a keyed POST is kept and replayed on retries.

Scoped per environment. A key is claimed by inserting an unfinished row (the unique constraint
settles races between concurrent retries); the answer is stored when the request completes, and
an answer that was a server error is dropped so the client's retry can succeed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError

from docintake.clock import utcnow
from docintake.storage.database import Database
from docintake.storage.models import IdempotencyRecord


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    content_type: str
    body: str


IN_FLIGHT_LEASE = timedelta(hours=1)
Verdict = Literal["new", "replay", "mismatch", "in_progress"]


class IdempotencyStore:
    def __init__(self, db: Database, ttl_seconds: int) -> None:
        self.db = db
        self.ttl = timedelta(seconds=ttl_seconds)

    def begin(self, environment_id: str, key: str, fingerprint: str) -> tuple[Verdict, StoredAnswer | None]:
        with self.db.session() as session:
            # An answer expires with the TTL; a claim whose request never finished (its process died)
            # expires after the in-flight lease, or the key would answer "in progress" for a day.
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.environment_id == environment_id,
                    IdempotencyRecord.key == key,
                    or_(
                        IdempotencyRecord.created_at < utcnow() - self.ttl,
                        and_(
                            IdempotencyRecord.completed.is_(False),
                            IdempotencyRecord.created_at < utcnow() - IN_FLIGHT_LEASE,
                        ),
                    ),
                )
            )
            found = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key
                )
            )
            if found is not None:
                if found.request_hash != fingerprint:
                    return "mismatch", None
                if not found.completed:
                    return "in_progress", None
                assert found.status_code is not None
                return "replay", StoredAnswer(found.status_code, found.content_type or "", found.body or "")
        try:
            with self.db.session() as session:
                session.add(
                    IdempotencyRecord(environment_id=environment_id, key=key, request_hash=fingerprint)
                )
        except IntegrityError:
            return "in_progress", None
        return "new", None

    def complete(self, environment_id: str, key: str, answer: StoredAnswer) -> None:
        with self.db.session() as session:
            found = session.scalar(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key
                )
            )
            if found is not None:
                found.completed = True
                found.status_code, found.content_type, found.body = (
                    answer.status_code,
                    answer.content_type,
                    answer.body,
                )

    def abort(self, environment_id: str, key: str) -> None:
        with self.db.session() as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.environment_id == environment_id, IdempotencyRecord.key == key
                )
            )
