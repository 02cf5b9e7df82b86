"""The local blob store under concurrent writes of the same bytes."""

from __future__ import annotations

import threading
from pathlib import Path

from docintake.storage.blobs import LocalBlobStore, blob_key


def test_concurrent_puts_of_the_same_key_all_succeed(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    data = b"%PDF-1.7 same bytes" * 1000
    key = blob_key("env", "ab" * 32)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def put(index: int) -> None:
        spool = tmp_path / f"spool-{index}"
        spool.write_bytes(data)
        barrier.wait()
        try:
            store.put_file(key, spool)
        except BaseException as exc:
            errors.append(exc)

    for _ in range(20):
        threads = [threading.Thread(target=put, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with store.open(key) as handle:
            assert handle.read() == data
        store.delete(key)
    assert errors == []
    leftovers = [p.name for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert leftovers == []
    assert not list(tmp_path.glob("spool-*"))


def test_keys_cannot_escape_the_store(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    try:
        store.exists("../../etc/passwd")
    except Exception as exc:
        assert "invalid blob key" in str(exc)
    else:
        raise AssertionError("a key outside the store was accepted")
