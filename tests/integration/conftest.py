"""A live `docintake serve` (API + embedded worker) for the whole integration session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.integration.live import LiveServer, live_server


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real service on a free port, its API key read from serve's first-start message."""
    with live_server(tmp_path_factory.mktemp("live") / "data") as server:
        yield server
    # The big uploads are not worth keeping in pytest's retained temp dirs; the logs are.
    shutil.rmtree(server.data_dir / "blobs", ignore_errors=True)
    assert not any(server.leftovers.values()), f"processes outlived serve: {server.leftovers}"
