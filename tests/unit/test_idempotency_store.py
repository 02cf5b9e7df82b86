"""The Idempotency-Key store on its own: claims, races, replays and expiry."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from docintake.clock import utcnow
from docintake.services.auth import ensure_environment
from docintake.services.idempotency import IdempotencyStore, StoredAnswer
from docintake.storage.database import Database
from docintake.storage.migrate import upgrade
from docintake.storage.models import IdempotencyRecord


def _store(tmp_path: Path) -> tuple[IdempotencyStore, str]:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    db = Database(url)
    with db.session() as session:
        env = ensure_environment(session, "acme", "production").id
    return IdempotencyStore(db, ttl_seconds=3600), env


def test_claim_then_retry_in_flight_then_replay(tmp_path: Path) -> None:
    store, env = _store(tmp_path)
    assert store.begin(env, "k", "hash-1") == ("new", None)
    assert store.begin(env, "k", "hash-1") == ("in_progress", None)
    assert store.begin(env, "k", "hash-2") == ("mismatch", None)
    answer = StoredAnswer(201, "application/json", '{"importId": "x"}')
    store.complete(env, "k", answer)
    assert store.begin(env, "k", "hash-1") == ("replay", answer)


def test_aborted_claim_can_be_retried(tmp_path: Path) -> None:
    store, env = _store(tmp_path)
    assert store.begin(env, "k", "h")[0] == "new"
    store.abort(env, "k")
    assert store.begin(env, "k", "h")[0] == "new"


def test_expired_answer_frees_the_key(tmp_path: Path) -> None:
    store, env = _store(tmp_path)
    store.begin(env, "k", "h")
    store.complete(env, "k", StoredAnswer(201, "application/json", "{}"))
    with store.db.session() as session:
        session.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=2)))
    assert store.begin(env, "k", "other")[0] == "new"


def test_concurrent_first_requests_get_one_claim(tmp_path: Path) -> None:
    """GIVEN eight retries racing with one key WHEN they all try to claim it THEN exactly one wins."""
    store, env = _store(tmp_path)
    verdicts: list[str] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        verdicts.append(store.begin(env, "race", "h")[0])

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(verdicts) == ["in_progress"] * 7 + ["new"]
