"""Alembic migrations and the SQLAlchemy models must describe the same schema, on every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from docintake.storage.database import create_db_engine
from docintake.storage.migrate import upgrade
from docintake.storage.models import Base
from tests.servers import postgres_database


def _diff(url: str) -> list[object]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_sqlite_migrations_match_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    assert _diff(url) == []
    upgrade(url)  # running it again is a no-op


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def test_postgres_migrations_match_models(postgres_url: str) -> None:
    upgrade(postgres_url)
    assert _diff(postgres_url) == []
