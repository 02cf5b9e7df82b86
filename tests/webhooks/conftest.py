"""Webhook test fixtures: a real receiver on loopback (allow-listed), a short retry schedule, and
``live_service``, whose tasks run on a real Huey consumer with two worker threads (the SQLite
queue, or Redis when scaled out) instead of inline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from huey.consumer import Consumer

from docintake.api.app import create_app
from docintake.services.container import Container
from docintake.storage.migrate import upgrade
from docintake.tasks import HueyQueue
from tests.conftest import Service, Tenant, build_settings
from tests.webhooks.helpers import SHORT_SCHEDULE
from tests.webhooks.receiver import Receiver


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return dict(SHORT_SCHEDULE)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


class _QuietConsumer(Consumer):  # type: ignore[misc]
    """A consumer inside the test process: it must not take over the process's signal handlers."""

    def _set_signal_handlers(self) -> None:
        pass


@pytest.fixture
def live_service(
    tmp_path: Path, backend: dict[str, object], settings_overrides: dict[str, object]
) -> Iterator[Service]:
    """The app with a real queue and a consumer running two worker threads: processing and
    deliveries happen in the background, and delayed retries wait for Huey's scheduler."""
    settings = build_settings(tmp_path, **{**backend, **settings_overrides})
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    queue = HueyQueue(settings)
    container = Container.from_settings(settings, queue=queue)
    consumer = _QuietConsumer(
        queue.huey, workers=2, worker_type="thread", periodic=False, initial_delay=0.02, max_delay=0.1
    )
    consumer.start()
    try:
        with TestClient(create_app(settings, container)) as client:
            svc = Service(client, container, settings, Tenant("", ""))
            svc.tenant = svc.new_tenant("acme", "production")
            yield svc
    finally:
        consumer.stop(graceful=True)
        container.close()
