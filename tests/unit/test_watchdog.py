"""A file that hangs inside C code, where SIGALRM cannot reach, is still stopped by the watchdog."""

from __future__ import annotations

import multiprocessing
import signal
import time
from pathlib import Path

import pytest
from huey.exceptions import TaskTimeout

from docintake.domain import FileSource
from docintake.intake.incoming import IncomingFile
from docintake.pipeline.runner import PipelineContext
from docintake.services import processing
from docintake.services.auth import Principal, ensure_environment
from docintake.services.container import Container
from docintake.services.intake import IntakeService
from docintake.services.options import IntakeOptions
from docintake.storage.migrate import upgrade
from docintake.storage.models import File
from docintake.tasks import WATCHDOG_EXIT_CODE, HueyQueue
from tests.conftest import build_settings, make_pdf


class HangsInC:
    """Stands for a library stuck in native code: SIGALRM is blocked, so Python never sees it."""

    name = "pages"
    required = True

    def __call__(self, ctx: PipelineContext) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(60)


def _raise_timeout(signum: int, frame: object) -> None:
    raise TaskTimeout("timeout")


def _worker_process(queue: HueyQueue, file_id: str) -> None:
    processing.default_stages = lambda *_: [HangsInC()]  # type: ignore[assignment]
    queue._isolate_worker()
    signal.signal(signal.SIGALRM, _raise_timeout)  # what huey's timeout does
    signal.setitimer(signal.ITIMER_REAL, queue.settings.task_timeout_seconds)
    queue._run_process_file(file_id)


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="needs POSIX signals")
def test_watchdog_fails_the_file_and_ends_the_worker_process(tmp_path: Path) -> None:
    settings = build_settings(tmp_path, task_timeout_seconds=1, worker_memory_mb=0)
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    queue = HueyQueue(settings)
    container = Container.from_settings(settings, queue=queue)
    with container.db.session() as session:
        env = ensure_environment(session, "acme", "production")
        principal = Principal(account_id=env.account_id, environment_id=env.id)
    spool = settings.tmp_dir / "upload"
    spool.write_bytes(make_pdf())
    item = IncomingFile(
        "slow.pdf", FileSource.upload, spool=spool, size=spool.stat().st_size, sha256="0" * 64
    )
    outcome = IntakeService(container).ingest(principal, "upload", IntakeOptions(), [item])
    file_id = outcome.files[0].id
    container.close()

    worker = multiprocessing.get_context("fork").Process(target=_worker_process, args=(queue, file_id))
    started = time.monotonic()
    worker.start()
    worker.join(timeout=30)
    assert worker.exitcode == WATCHDOG_EXIT_CODE
    assert time.monotonic() - started < 15

    with container.db.session() as session:
        row = session.get(File, file_id)
        assert row is not None
        assert (row.status, row.error_code) == ("failed", "timeout")
