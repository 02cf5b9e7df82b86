"""Engine and session factory, tuned per backend.

SQLite is the embedded default and is used by the API and worker processes at once, so it runs in
WAL mode with a busy timeout (readers never block the writer; writers wait instead of failing),
and foreign keys are switched on, as SQLite leaves them off.

A server database (PostgreSQL) is shared by many API and worker processes, so each process keeps
a small pool (``pool_size`` + ``max_overflow`` connections, times the number of processes, must stay
under the server's ``max_connections``), pings a connection before use (a restarted server or a
failover leaves dead ones) and recycles connections older than ``POOL_RECYCLE_SECONDS`` (proxies
and firewalls silently drop idle ones). A pooled connection belongs to the process that opened it: after a fork, the child
never touches the parent's (see ``_forget_inherited_pools``).
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


POOL_RECYCLE_SECONDS = 1800
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_inherited_pools() -> None:
    """In a forked child: a pooled connection shares its socket with the parent, so using it (even
    the pool's pre-ping) or closing it here would corrupt the parent's session. Drop every pool
    unclosed; the child opens its own connections (SQLAlchemy's advice for multiprocessing)."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_pools)


def create_db_engine(url: str, *, pool_size: int = 5, max_overflow: int = 5) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=POOL_RECYCLE_SECONDS,
        )
    _ENGINES.add(engine)
    return engine


class Database:
    """Owns the engine; hands out sessions that commit on success and roll back on error."""

    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 5) -> None:
        self.url = url
        self.engine = create_db_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self, *, close: bool = True) -> None:
        """``close=False`` in a forked child: forget the pool without closing the parent's connections."""
        self.engine.dispose(close=close)
