"""The BlobStore contract, held by the local store and by the S3 store on a real SeaweedFS server;
then what only the S3 store has to get right (multipart from disk, outages, a missing bucket)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from docintake.errors import DocintakeError, NotFound, StorageUnavailable
from docintake.settings import Settings
from docintake.storage.blobs import BlobStore, LocalBlobStore, blob_key, create_blob_store, page_key
from docintake.storage.s3 import S3BlobStore
from tests.s3_fixtures import s3_settings
from tests.servers import S3Server, free_port

MB = 1024 * 1024
KEY = blob_key("env", "ab" * 32)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    """Each store built the way a service builds it: from settings, through the registry."""
    if request.param == "local":
        settings = Settings(data_dir=tmp_path / "data")
    else:
        server: S3Server = request.getfixturevalue("s3_server")
        bucket: str = request.getfixturevalue("s3_bucket")
        settings = Settings(data_dir=tmp_path / "data", **s3_settings(server, bucket, blob_s3_part_mb=5))  # type: ignore[arg-type]
    return create_blob_store(settings.resolved_blob_url, settings)


def _spool(tmp_path: Path, data: bytes, name: str = "spool") -> Path:
    spool = tmp_path / name
    spool.write_bytes(data)
    return spool


def test_put_then_read_back_then_delete(store: BlobStore, tmp_path: Path) -> None:
    data = b"%PDF-1.7 contract" * 100
    spool = _spool(tmp_path, data)
    store.put_file(KEY, spool)
    assert not spool.exists(), "put_file consumes the spool file"
    assert store.exists(KEY)
    with store.open(KEY) as handle:
        assert handle.read() == data
    with store.local_path(KEY) as path:
        assert path.read_bytes() == data
    if isinstance(store, S3BlobStore):
        assert not path.exists(), "the downloaded copy outlived its block"
    store.delete(KEY)
    assert not store.exists(KEY)


def test_put_of_an_existing_key_keeps_it_and_consumes_the_spool(store: BlobStore, tmp_path: Path) -> None:
    data = b"same bytes, same key" * 50
    store.put_file(KEY, _spool(tmp_path, data, "first"))
    again = _spool(tmp_path, data, "second")
    store.put_file(KEY, again)
    assert not again.exists()
    with store.open(KEY) as handle:
        assert handle.read() == data


def test_a_missing_key_is_not_found(store: BlobStore) -> None:
    missing = blob_key("env", "cd" * 32)
    assert not store.exists(missing)
    with pytest.raises(NotFound), store.open(missing):
        pass
    with pytest.raises(NotFound), store.local_path(missing):
        pass
    store.delete(missing)  # no error


def test_check_passes_on_a_working_store(store: BlobStore) -> None:
    store.check()


def test_a_file_bigger_than_a_part_comes_back_whole(store: BlobStore, tmp_path: Path) -> None:
    data = os.urandom(12 * MB + 12345)  # three 5 MiB parts, the last one short
    store.put_file(KEY, _spool(tmp_path, data))
    digest = hashlib.sha256()
    with store.open(KEY) as handle:
        while chunk := handle.read(MB):
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    with store.local_path(KEY) as path:
        assert path.read_bytes() == data
    if isinstance(store, S3BlobStore):
        head = store.client.head_object(Bucket=store.bucket, Key=f"{store.prefix}/{KEY}", PartNumber=1)
        assert head["PartsCount"] == 3, "not uploaded as a multipart upload of 5 MiB parts"


def test_keys_cannot_escape_the_store(store: BlobStore) -> None:
    for key in ("../../etc/passwd", "env/../other/ab/cd", "/abs/key"):
        with pytest.raises(DocintakeError, match="invalid blob key"):
            store.exists(key)


def test_page_keys_stay_with_their_tenant_and_content() -> None:
    original = blob_key("env_1", "ef" * 32)
    assert page_key(original, 2, 150) == f"env_1/pages/{'ef' * 32}/2-150.png"
    assert page_key(original, 2, 150) != page_key(original, 2, 300) != page_key(original, 3, 300)
    assert page_key(blob_key("env_2", "ef" * 32), 2, 150).startswith("env_2/")


def test_concurrent_puts_of_the_same_key_all_succeed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = b"%PDF-1.7 same bytes" * 1000
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def put(index: int) -> None:
        spool = tmp_path / f"spool-{index}"
        spool.write_bytes(data)
        barrier.wait()
        try:
            store.put_file(KEY, spool)
        except BaseException as exc:
            errors.append(exc)

    for _ in range(20):
        threads = [threading.Thread(target=put, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with store.open(KEY) as handle:
            assert handle.read() == data
        store.delete(KEY)
    assert errors == []
    leftovers = [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert leftovers == []
    assert not list(tmp_path.glob("spool-*"))


# -- the S3 store only ---------------------------------------------------------------------------

# Run in a fresh process, whose peak RSS says what put_file itself needed: a warm-up upload loads
# boto3's code paths and thread pools first, then a 64 MiB upload may add only a little on top.
UPLOAD_AND_MEASURE = textwrap.dedent(
    """
    import os, resource, sys
    from pathlib import Path
    from docintake.storage.s3 import S3BlobStore
    endpoint, bucket, access, secret, workdir = sys.argv[1:6]
    store = S3BlobStore(bucket, "p", endpoint_url=endpoint, access_key_id=access,
                        secret_access_key=secret, part_mb=5)
    work = Path(workdir)
    warm = work / "warm"
    warm.write_bytes(os.urandom(11 * 2**20))
    store.put_file("env/warm", warm)
    big = work / "big"
    with big.open("wb") as out:
        for _ in range(64):
            out.write(os.urandom(2**20))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    store.put_file("env/big", big)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert store.exists("env/big")
    print((after - before) // 1024)
    """
)


def test_put_file_streams_from_disk(s3_server: S3Server, s3_bucket: str, tmp_path: Path) -> None:
    """Reading the 64 MiB file into memory (``put_object(Body=path.read_bytes())``) grows the
    peak by ~50 MiB here; streaming parts from disk keeps it within a few parts."""
    argv = [s3_server.endpoint, s3_bucket, s3_server.access_key, s3_server.secret_key, str(tmp_path)]
    done = subprocess.run(
        [sys.executable, "-c", UPLOAD_AND_MEASURE, *argv], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    growth_mb = int(done.stdout.strip())
    assert growth_mb < 16, f"peak RSS grew by {growth_mb} MiB uploading a 64 MiB file"


def _s3(server: S3Server, bucket: str, tmp_path: Path, **changes: object) -> S3BlobStore:
    values = s3_settings(server, bucket, **changes)
    settings = Settings(data_dir=tmp_path / "data", **values)  # type: ignore[arg-type]
    store = create_blob_store(settings.resolved_blob_url, settings)
    assert isinstance(store, S3BlobStore)
    return store


def test_a_missing_bucket_is_a_configuration_error(s3_server: S3Server, tmp_path: Path) -> None:
    store = _s3(s3_server, "no-such-bucket", tmp_path)
    with pytest.raises(DocintakeError) as caught:
        store.check()
    assert caught.value.code == "blob_store_misconfigured"
    assert not caught.value.retryable
    assert "no-such-bucket" in caught.value.message


def test_refused_credentials_are_a_configuration_error(
    s3_server: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    store = _s3(s3_server, s3_bucket, tmp_path, blob_s3_secret_access_key="not-the-secret")
    with pytest.raises(DocintakeError) as caught:
        store.check()
    assert caught.value.code == "blob_store_misconfigured"
    assert not caught.value.retryable
    assert "not-the-secret" not in str(caught.value)


def test_an_unreachable_store_is_storage_unavailable(tmp_path: Path) -> None:
    """Nothing listens on the port: every operation says "try again later", none crashes."""
    server = S3Server(f"http://127.0.0.1:{free_port()}", "key", "secret")
    store = _s3(server, "bucket", tmp_path)
    spool = _spool(tmp_path, b"bytes")
    calls = {
        "check": store.check,
        "exists": lambda: store.exists(KEY),
        "delete": lambda: store.delete(KEY),
        "put_file": lambda: store.put_file(KEY, spool),
        "open": lambda: store.open(KEY).__enter__(),
        "local_path": lambda: store.local_path(KEY).__enter__(),
    }
    for name, call in calls.items():
        with pytest.raises(StorageUnavailable) as caught:
            call()
        assert caught.value.retryable, name
        assert caught.value.status == 503, name
        assert "bucket" in caught.value.message, name
