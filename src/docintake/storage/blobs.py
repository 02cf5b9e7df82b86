"""Blob stores: where the bytes of files live, keyed by environment and SHA-256.

Keys are ``<environment_id>/<sha256[:2]>/<sha256>``: the same bytes uploaded twice in one
environment share one blob, and a delete in one environment can never touch another tenant's
bytes. Rendered page images sit beside them (``page_key``), so every process of a scaled-out
deployment serves the same stored image. Implementations are picked by the scheme of
``DOCINTAKE_BLOB_URL`` through ``BLOB_STORES``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol
from urllib.parse import urlparse

from docintake.errors import DocintakeError, NotFound

if TYPE_CHECKING:
    from docintake.settings import Settings


class BlobStore(Protocol):
    """Contract every blob store SHALL honour.

    - ``put_file`` takes ownership of a local spool file (it may move it, and the caller must not
      use it afterwards) and stores its bytes under ``key``; storing an existing key is a no-op
      that still consumes the spool file (the bytes are the same: the key holds their hash).
    - ``open`` yields a readable binary stream and raises ``NotFound`` for a missing key.
    - ``local_path`` yields a filesystem path holding the bytes for libraries that need one
      (PDF, zip); a remote store downloads to a temporary file for the block's duration.
    - ``exists`` says whether a key is stored.
    - ``delete`` removes one key and ignores a missing one.
    - ``check`` raises when the store is unreachable (readiness probe).
    - A store that is down or overloaded raises ``StorageUnavailable`` (retryable), so a worker
      tries again later instead of failing the file.
    """

    def put_file(self, key: str, spool: Path) -> None: ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]: ...

    def local_path(self, key: str) -> AbstractContextManager[Path]: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def check(self) -> None: ...


def blob_key(environment_id: str, sha256: str) -> str:
    return f"{environment_id}/{sha256[:2]}/{sha256}"


def checked_key(key: str) -> str:
    """``key`` if it is a plain relative path: no store may let ``..`` or ``/`` reach past a tenant's
    directory (S3-compatible servers that keep files on disk would resolve them, too)."""
    if not key or any(part in ("", ".", "..") for part in key.split("/")):
        raise DocintakeError(f"invalid blob key {key!r}")
    return key


def page_key(original_key: str, page: int, dpi: int) -> str:
    """Where page ``page`` of the original stored under ``original_key``, rendered at ``dpi``, lives.

    Content-addressed like the original (its key ends in the bytes' hash), so the same image is
    never rendered twice, and it starts with the original's environment id, so tenants stay apart.
    """
    environment_id, _, rest = original_key.partition("/")
    sha256 = rest.rsplit("/", 1)[-1]
    if not environment_id or not sha256:
        raise DocintakeError(f"invalid blob key {original_key!r}")
    return f"{environment_id}/pages/{sha256}/{page}-{dpi}.png"


class LocalBlobStore:
    """Blobs as files under a directory; spool files on the same volume are moved, not copied."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        path = (self.root / checked_key(key)).resolve()
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


def _local_from_url(url: str, settings: Settings) -> BlobStore:
    parsed = urlparse(url)
    return LocalBlobStore(Path(parsed.path))


def _s3_from_url(url: str, settings: Settings) -> BlobStore:
    # Imported here: boto3 takes a noticeable part of a second to import, which a local
    # deployment (and every CLI command on it) should not pay.
    from docintake.storage.s3 import s3_from_settings

    return s3_from_settings(url, settings)


# Scheme of DOCINTAKE_BLOB_URL -> factory, given the URL and the settings (endpoint, credentials).
BLOB_STORES: dict[str, Callable[[str, Settings], BlobStore]] = {"file": _local_from_url, "s3": _s3_from_url}


def create_blob_store(url: str, settings: Settings) -> BlobStore:
    scheme = urlparse(url).scheme or "file"
    try:
        factory = BLOB_STORES[scheme]
    except KeyError:
        known = ", ".join(sorted(BLOB_STORES))
        raise DocintakeError(f"unsupported blob store URL scheme {scheme!r} (known: {known})") from None
    return factory(url, settings)
