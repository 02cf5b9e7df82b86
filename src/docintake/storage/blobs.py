"""Blob stores: where the bytes of files live, keyed by environment and SHA-256.

Keys are ``<environment_id>/<sha256[:2]>/<sha256>``: the same bytes uploaded twice in one
environment share one blob, and a delete in one environment can never touch another tenant's
bytes. Implementations are picked by the scheme of ``DOCINTAKE_BLOB_URL`` through ``BLOB_STORES``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import urlparse

from docintake.errors import DocintakeError, NotFound


class BlobStore(Protocol):
    """Contract every blob store SHALL honour.

    - ``put_file`` takes ownership of a local spool file (it may move it, and the caller must not
      use it afterwards) and stores its bytes under ``key``; storing an existing key is a no-op
      that still consumes the spool file (the bytes are the same: the key holds their hash).
    - ``open`` yields a readable binary stream and raises ``NotFound`` for a missing key.
    - ``local_path`` yields a filesystem path holding the bytes for libraries that need one
      (PDF, zip); a remote store downloads to a temporary file for the block's duration.
    - ``delete`` removes one key and ignores a missing one.
    - ``check`` raises when the store is unreachable (readiness probe).
    """

    def put_file(self, key: str, spool: Path) -> None: ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]: ...

    def local_path(self, key: str) -> AbstractContextManager[Path]: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def check(self) -> None: ...


def blob_key(environment_id: str, sha256: str) -> str:
    return f"{environment_id}/{sha256[:2]}/{sha256}"


class LocalBlobStore:
    """Blobs as files under a directory; spool files on the same volume are moved, not copied."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise DocintakeError(f"invalid blob key {key!r}")
        return path

    def put_file(self, key: str, spool: Path) -> None:
        target = self._path(key)
        if target.exists():
            spool.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        # A unique partial name per call: two uploads of the same bytes may race here, and each
        # atomic rename leaves the same complete content in place.
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(handle)
        partial = Path(name)
        try:
            shutil.move(spool, partial)
            partial.replace(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise NotFound(f"blob {key} is missing") from None
        with handle:
            yield handle

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        path = self._path(key)
        if not path.exists():
            raise NotFound(f"blob {key} is missing")
        yield path

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def check(self) -> None:
        if not os.access(self.root, os.W_OK):
            raise DocintakeError(f"blob directory {self.root} is not writable")


def _local_from_url(url: str) -> BlobStore:
    parsed = urlparse(url)
    return LocalBlobStore(Path(parsed.path))


# Scheme of DOCINTAKE_BLOB_URL -> factory. The scale-out work registers "s3" here.
BLOB_STORES: dict[str, Callable[[str], BlobStore]] = {"file": _local_from_url}


def create_blob_store(url: str) -> BlobStore:
    scheme = urlparse(url).scheme or "file"
    try:
        factory = BLOB_STORES[scheme]
    except KeyError:
        known = ", ".join(sorted(BLOB_STORES))
        raise DocintakeError(f"unsupported blob store URL scheme {scheme!r} (known: {known})") from None
    return factory(url)
