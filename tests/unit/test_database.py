"""Connection pools on a real PostgreSQL: sized from settings, and never shared across fork."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sqlalchemy import text

from docintake.services.container import Container
from docintake.settings import Settings
from docintake.storage.database import Database
from tests.servers import postgres_database


def _backend_pid(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(text("SELECT pg_backend_pid()")) or 0)


def test_pool_is_sized_from_settings(tmp_path: Path) -> None:
    with postgres_database() as url:
        settings = Settings(data_dir=tmp_path / "data", database_url=url, database_pool_size=3)
        container = Container.from_settings(settings)
        try:
            assert container.db.engine.pool.size() == 3  # type: ignore[attr-defined]
            assert _backend_pid(container.db) > 0
        finally:
            container.close()


def test_a_forked_worker_opens_its_own_connection_and_leaves_the_parents_alone() -> None:
    """GIVEN a process with a pooled connection WHEN it forks a worker that queries the database
    THEN the worker gets a server session of its own, and the parent's pooled session still works
    (sharing it would interleave two processes' traffic on one socket)."""
    with postgres_database() as url:
        db = Database(url, pool_size=1, max_overflow=0)
        try:
            parent = _backend_pid(db)
            context = multiprocessing.get_context("fork")
            receiver, sender = context.Pipe(duplex=False)

            def child() -> None:
                sender.send(_backend_pid(db))

            process = context.Process(target=child)
            process.start()
            process.join(30)
            assert process.exitcode == 0
            assert receiver.recv() not in (0, parent)
            assert _backend_pid(db) == parent
        finally:
            db.dispose()
