"""Prometheus samples shared between the processes of one machine, in a directory chosen by settings.

prometheus_client's multiprocess mode is switched on only by the ``PROMETHEUS_MULTIPROC_DIR``
environment variable, read when the first metric is made and again whenever a sample file opens;
docintake reads its configuration from ``Settings`` alone. So this module supplies the *value class*
that prometheus_client's Counter and Histogram store their numbers in (``values.ValueClass``):
it writes the same per-process mmap files the library would (``counter_<id>.db``,
``histogram_<id>.db``, read back by ``MultiProcessCollector.merge``), in the directory given to
``use_directory``. Until a directory is set (``docintake extract``) values stay in memory.

Two differences from the library, both for containers that share one metrics volume:

- a file is named by ``<hostname>-<pid>``, not the pid alone (two containers both run a pid 7);
- every process holds a shared ``flock`` on its files while it lives, so ``remove_dead_files`` can
  tell a dead process's file from a live one's without knowing pids of other containers.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any

from prometheus_client import values
from prometheus_client.mmap_dict import MmapedDict, mmap_key

log = logging.getLogger(__name__)
_HOST = (socket.gethostname() or "host").replace("_", "-")
_lock = threading.Lock()


class _Files:
    """The sample files this process writes: one per metric type, plus the lock that marks it alive."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.pid = os.getpid()
        self.open: dict[str, tuple[MmapedDict, int]] = {}
        self.values: list[DirectoryValue] = []

    def get(self, prefix: str) -> MmapedDict | None:
        if self.directory is None:
            return None
        if prefix not in self.open:
            path = self.directory / f"{prefix}_{_HOST}-{self.pid}.db"
            lock_fd = _open_locked(path)
            try:
                self.open[prefix] = (MmapedDict(str(path)), lock_fd)  # type: ignore[no-untyped-call]
            except BaseException:
                os.close(lock_fd)
                raise
        return self.open[prefix][0]

    def close(self) -> None:
        for mmaped, lock_fd in self.open.values():
            mmaped.close()  # type: ignore[no-untyped-call]
            os.close(lock_fd)  # a forked child closes its copy; the parent's lock stays
        self.open.clear()

    def rebind(self) -> None:
        for value in self.values:
            value.bind()


_files = _Files()


def _open_locked(path: Path) -> int:
    """Open (creating) ``path`` and hold a shared lock on it for as long as this process lives.

    A cleaner removes a file only while it holds the exclusive lock, so after taking ours we make
    sure the path still names the file we locked; if it was removed meanwhile, start again."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_SH)
        try:
            if path.stat().st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def _check_for_fork() -> None:
    """A forked worker process must write its own files, not its parent's (lock held by caller)."""
    if _files.pid != os.getpid():
        _files.close()
        _files.pid = os.getpid()
        _files.rebind()


class DirectoryValue:
    """One number of one metric (a counter, a histogram bucket...), kept in this process's file."""

    def __init__(
        self,
        typ: str,
        metric_name: str,
        name: str,
        labelnames: Any,
        labelvalues: Any,
        help_text: str,
        multiprocess_mode: str = "",
        **kwargs: Any,
    ) -> None:
        self._prefix = f"gauge_{multiprocess_mode}" if typ == "gauge" else typ
        self._key = mmap_key(metric_name, name, labelnames, labelvalues, help_text)
        self._value = 0.0
        self._file: MmapedDict | None = None
        with _lock:
            _check_for_fork()
            self.bind()
            _files.values.append(self)

    def bind(self) -> None:
        """Point at the current directory's file and take the value stored there (lock held)."""
        self._file = _files.get(self._prefix)
        if self._file is not None:
            self._value = self._file.read_value(self._key)[0]  # type: ignore[no-untyped-call]

    def inc(self, amount: float) -> None:
        with _lock:
            _check_for_fork()
            self._value += amount
            if self._file is not None:
                self._file.write_value(self._key, self._value, 0.0)  # type: ignore[no-untyped-call]

    def set(self, value: float, timestamp: float | None = None) -> None:
        with _lock:
            _check_for_fork()
            self._value = value
            if self._file is not None:
                self._file.write_value(self._key, self._value, timestamp or 0.0)  # type: ignore[no-untyped-call]

    def set_exemplar(self, exemplar: Any) -> None:
        return  # the file format has no room for exemplars (the library drops them too)

    def get(self) -> float:
        with _lock:
            _check_for_fork()
            return self._value

    def get_exemplar(self) -> None:
        return None


def install() -> None:
    """Make prometheus_client store every metric value made from now on in a ``DirectoryValue``."""
    values.ValueClass = DirectoryValue


def use_directory(directory: Path) -> None:
    """Write this process's samples under ``directory`` from now on (values already made move too:
    they continue from what the directory holds for this process, usually nothing)."""
    directory = directory.resolve()
    with _lock:
        _check_for_fork()
        if _files.directory == directory:
            return
        directory.mkdir(parents=True, exist_ok=True)
        _files.close()
        _files.directory = directory
        _files.rebind()


def remove_dead_files(directory: Path) -> list[Path]:
    """Delete the sample files of processes that have ended (no lock held on them).

    Their counts leave the sums, which Prometheus reads as a counter reset; keeping them would grow
    the directory with every restart and keep a dead process's samples forever."""
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for path in sorted(directory.glob("*.db")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a live process holds it
        try:
            path.unlink(missing_ok=True)
            removed.append(path)
        finally:
            os.close(fd)
    if removed:
        log.info("removed %d metrics files of ended processes from %s", len(removed), directory)
    return removed


def sample_files(directory: Path) -> list[str]:
    """The files a scrape merges; one still being created (not yet sized) is left for the next."""
    files = []
    for path in directory.glob("*.db"):
        try:
            if path.stat().st_size >= 8:
                files.append(str(path))
        except FileNotFoundError:
            continue
    return files
