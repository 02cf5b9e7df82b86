"""The worker process `docintake serve` runs beside the API, kept alive while the API runs.

A worker consumer that dies (killed by the OOM killer, a crash in native code that escaped the
per-file isolation) would leave uploads queued forever behind a healthy-looking API, so the
supervisor starts it again, backing off if it keeps dying.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading

log = logging.getLogger(__name__)


class EmbeddedWorker:
    def __init__(self, workers: int) -> None:
        self.command = [sys.executable, "-m", "docintake", "worker", "--workers", str(workers)]
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self.process = subprocess.Popen(self.command)  # noqa: S603 - our own interpreter and module
        self._monitor.start()

    def _watch(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            assert self.process is not None
            code = self.process.wait()
            if self._stopping.is_set():
                return
            log.error("the embedded worker exited with code %s; restarting it in %.0f s", code, backoff)
            if self._stopping.wait(backoff):
                return
            self.process = subprocess.Popen(self.command)  # noqa: S603
            self.restarts += 1
            backoff = min(backoff * 2, 30.0)

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
