"""Start the real `docintake serve` (and `docintake worker`) as subprocesses on a free local port.

Shared by the integration fixtures and ``benchmarks/upload_memory.py``. Every process is started in
its own session (process group), so teardown can signal the whole group and prove that no worker
child outlived its parent.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
_KEY_LINE = re.compile(r"^\s+(dik_[0-9a-f]+_[0-9a-f]+)\s*$", re.MULTILINE)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(data_dir: Path, port: int, **settings: object) -> dict[str, str]:
    """The environment of every child: ours minus any DOCINTAKE_* leaking in, plus the test's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCINTAKE_")}
    env.update(
        DOCINTAKE_DATA_DIR=str(data_dir),
        DOCINTAKE_HOST="127.0.0.1",
        DOCINTAKE_PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    env.update({f"DOCINTAKE_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def docintake(*args: str, env: dict[str, str], timeout: float = 60.0) -> str:
    """Run a short CLI command (e.g. `keys create`) and return its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "docintake", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=REPO,
    )
    if done.returncode != 0:
        raise RuntimeError(f"docintake {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def _live_processes() -> Iterator[tuple[int, int, int]]:
    """(pid, ppid, pgrp) of every live (non-zombie) process, read from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] not in ("Z", "X"):
            yield int(entry.name), int(fields[1]), int(fields[2])


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group."""
    return [pid for pid, _, group in _live_processes() if group == pgid]


def children_of(parent: int) -> list[int]:
    """Live direct children of a process."""
    return [pid for pid, ppid, _ in _live_processes() if ppid == parent]


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Proc:
    """One process group we started, with its combined stdout/stderr in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = STOP_TIMEOUT) -> list[int]:
        """SIGINT the leader (graceful), then SIGTERM/SIGKILL the group; return pids that outlived it."""
        pgid = self.popen.pid
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(pgid, signal.SIGTERM)
                try:
                    self.popen.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    _signal_group(pgid, signal.SIGKILL)
                    self.popen.wait(timeout=5)
        # The leader is gone; its children should have left with it. Give them a moment to exit.
        deadline = time.monotonic() + timeout
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.1)
        leftovers = group_members(pgid)
        if leftovers:
            _signal_group(pgid, signal.SIGKILL)
        return leftovers


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def spawn(name: str, args: list[str], env: dict[str, str], log: Path) -> Proc:
    with log.open("ab") as handle:
        popen = subprocess.Popen(
            [sys.executable, "-m", "docintake", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=REPO,
        )
    return Proc(name, popen, log)


@dataclass
class LiveServer:
    base_url: str
    port: int
    data_dir: Path
    env: dict[str, str]
    api_key: str
    server: Proc
    worker: Proc | None = None
    leftovers: dict[str, list[int]] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        """The uvicorn process: `serve` runs uvicorn in-process when api_workers is 1."""
        return self.server.pid

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}

    def client(self, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=timeout, trust_env=False)

    def logs(self) -> str:
        text = f"--- serve log ---\n{self.server.output()[-6000:]}"
        if self.worker is not None:
            text += f"\n--- worker log ---\n{self.worker.output()[-4000:]}"
        return text

    def start_worker(self, workers: int = 1) -> Proc:
        assert self.worker is None
        self.worker = spawn(
            "worker", ["worker", "--workers", str(workers)], self.env, self.data_dir / "worker.log"
        )
        return self.worker


def _wait_healthy(base_url: str, proc: Proc, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.popen.returncode}:\n{proc.output()[-6000:]}")
            try:
                if client.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(f"serve did not answer /healthz within {timeout} s:\n{proc.output()[-6000:]}")


@contextmanager
def live_server(
    data_dir: Path,
    *,
    embedded_worker: bool = True,
    key_from_cli: bool = False,
    port: int | None = None,
    **settings: object,
) -> Iterator[LiveServer]:
    """Run `docintake serve` on ``data_dir`` until the block ends.

    The API key is the one `serve` prints on first start, or (``key_from_cli``) one made with
    `docintake keys create` before the server starts, in which case serve must print none.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = service_env(data_dir, port, **settings)
    cli_key = docintake("keys", "create", "--name", "integration", env=env).strip() if key_from_cli else ""
    args = ["serve"] if embedded_worker else ["serve", "--no-embedded-worker"]
    proc = spawn("serve", args, env, data_dir / "serve.log")
    server: LiveServer | None = None
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc, STARTUP_TIMEOUT)
        printed = _KEY_LINE.findall(proc.output())
        if key_from_cli:
            if printed:
                raise RuntimeError(f"serve printed a key although one existed: {printed}")
            api_key = cli_key
        else:
            if len(printed) != 1:
                raise RuntimeError(f"expected serve to print one API key, found {printed}:\n{proc.output()}")
            api_key = printed[0]
        server = LiveServer(f"http://127.0.0.1:{port}", port, data_dir, env, api_key, proc)
        yield server
    finally:
        leftovers = {}
        if server is not None and server.worker is not None:
            leftovers["worker"] = server.worker.stop()
        leftovers["serve"] = proc.stop()
        if server is not None:
            server.leftovers = leftovers


def wait_for_import(client: httpx.Client, import_id: str, timeout: float = 60.0) -> dict[str, object]:
    """Poll GET /v1/imports/{id} until it is no longer processing; return the import."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/v1/imports/{import_id}")
        response.raise_for_status()
        body: dict[str, object] = response.json()
        if body["status"] != "processing":
            return body
        if time.monotonic() > deadline:
            raise TimeoutError(f"import {import_id} still processing after {timeout} s: {body}")
        time.sleep(0.2)


def png_bomb(width: int, height: int) -> bytes:
    """A valid all-black RGB PNG of ``width`` x ``height``: tiny on disk, 3 bytes a pixel once decoded."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor = zlib.compressobj(1)
    row = b"\x00" * (width * 3 + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def many_page_tiff(pages: int, width: int = 1000, height: int = 1000) -> bytes:
    """A valid TIFF of ``pages`` blank 8-bit pages that all share one uncompressed strip.

    A few MB on the wire, but reading every page takes the worker seconds (~0.5 ms a page): a
    file that runs into the task timeout while control keeps returning to Python.
    """
    import struct

    strip = bytes(width * height)
    first_ifd = 8 + len(strip)
    tags = [  # (tag, type: 3 SHORT / 4 LONG, value)
        (256, 4, width),
        (257, 4, height),
        (258, 3, 8),  # bits per sample
        (259, 3, 1),  # no compression
        (262, 3, 1),  # black is zero
        (273, 4, 8),  # strip offset
        (277, 3, 1),  # samples per pixel
        (278, 4, height),  # rows per strip
        (279, 4, len(strip)),  # strip byte count
    ]
    ifd_size = 2 + 12 * len(tags) + 4
    out = bytearray(b"II*\x00" + struct.pack("<I", first_ifd) + strip)
    for page in range(pages):
        out += struct.pack("<H", len(tags))
        for tag, kind, value in tags:
            out += struct.pack(
                "<HHIHH" if kind == 3 else "<HHII", tag, kind, 1, value, *([0] if kind == 3 else [])
            )
        last = page + 1 == pages
        out += struct.pack("<I", 0 if last else first_ifd + (page + 1) * ifd_size)
    return bytes(out)


# -- streamed multipart bodies -------------------------------------------------------------------

CHUNK = 1024 * 1024


@dataclass
class StreamedUpload:
    """A multipart body of one big file, produced lazily; length and digest are known up front."""

    content_type: str
    content_length: int
    file_size: int
    sha256: str
    chunks: Iterator[bytes]


def streamed_png_upload(size: int, *, field_name: str = "files", filename: str = "big.png") -> StreamedUpload:
    """A ``size``-byte file: a real small PNG followed by pseudo-random padding, in 1 MiB chunks.

    Pillow reads a PNG up to its IEND chunk, so the worker finishes it quickly whatever the size;
    the API still has to stream every byte to disk and hash it.
    """
    import hashlib
    import io
    import random

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 32), "white").save(buffer, format="PNG")
    head = buffer.getvalue()
    block = random.Random(size).randbytes(CHUNK)  # test data, not secrets
    boundary = "----docintake-bench-" + hashlib.sha256(str(size).encode()).hexdigest()[:24]
    preamble = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="{field_name}"; filename="{filename}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    epilogue = f"\r\n--{boundary}--\r\n".encode()

    def file_chunks() -> Iterator[bytes]:
        yield head
        left = size - len(head)
        while left > 0:
            piece = block if left >= CHUNK else block[:left]
            left -= len(piece)
            yield piece

    digest = hashlib.sha256()
    for piece in file_chunks():
        digest.update(piece)

    def body() -> Iterator[bytes]:
        yield preamble
        yield from file_chunks()
        yield epilogue

    return StreamedUpload(
        content_type=f"multipart/form-data; boundary={boundary}",
        content_length=len(preamble) + size + len(epilogue),
        file_size=size,
        sha256=digest.hexdigest(),
        chunks=body(),
    )
