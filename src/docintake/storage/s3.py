"""The S3 blob store: ``DOCINTAKE_BLOB_URL=s3://bucket/prefix`` on AWS or any S3-compatible server.

Scaled out, API processes and workers on different machines must see the same originals and page
images, so the bytes live in one bucket. Uploads go through boto3's transfer manager from the spool
file on disk (multipart above ``blob_s3_part_mb``), so a big upload never sits in memory.

Errors are sorted in one place, ``_raise``: a store that is down, slow or throttling raises
``StorageUnavailable`` (retryable: a worker tries the file again later); a missing key raises
``NotFound``; a missing bucket or refused credentials is a configuration error that retrying cannot
fix, and says which bucket and which setting to look at.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, NoReturn
from urllib.parse import urlparse

import boto3
from boto3.s3.transfer import S3TransferRetriesExceededError, TransferConfig, create_transfer_manager
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from docintake.errors import DocintakeError, NotFound, StorageUnavailable
from docintake.settings import Settings
from docintake.storage.blobs import checked_key

MB = 1024 * 1024
# Parts in flight per upload or download: each holds at most a part's worth of buffers, so memory
# stays a few parts per transfer however big the file is.
TRANSFER_THREADS = 4
# Codes S3 and compatible servers answer when they are overloaded or briefly failing.
TRANSIENT_CODES = frozenset(
    {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout", "ServiceUnavailable", "InternalError"}
)
MISSING_KEY_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
REFUSED_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403", "AuthorizationHeaderMalformed"}
)


def _misconfigured(message: str) -> DocintakeError:
    """The bucket is missing or refuses our credentials: an operator must fix the settings, and
    retrying cannot help, so this is deliberately not ``StorageUnavailable``."""
    return DocintakeError(message, code="blob_store_misconfigured")


class S3BlobStore:
    """Blobs as objects under ``prefix/`` in ``bucket``; construction makes no request, so a CLI
    command that never touches blobs works while the store is down."""

    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        endpoint_url: str = "",
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
        part_mb: int = 16,
        tmp_dir: Path | None = None,
        max_attempts: int = 3,
    ) -> None:
        if not bucket:
            raise _misconfigured("DOCINTAKE_BLOB_URL names no bucket (expected s3://bucket/prefix)")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        self.tmp_dir = tmp_dir
        compatible = self.endpoint_url is not None
        config = Config(
            region_name=region or None,
            connect_timeout=5,
            read_timeout=60,
            # "standard" retries timeouts, 5xx and throttling with jittered backoff; what is still
            # failing after that becomes StorageUnavailable and the task queue retries much later.
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=32,
            # S3-compatible servers expect path-style URLs and do not all know the newer checksums.
            s3={"addressing_style": "path" if compatible else "auto"},
            request_checksum_calculation="when_required" if compatible else "when_supported",
            response_checksum_validation="when_required" if compatible else "when_supported",
        )
        credentials: dict[str, str] = {}
        if access_key_id:  # empty means boto3's own chain (environment, profile, instance role)
            credentials = {"aws_access_key_id": access_key_id, "aws_secret_access_key": secret_access_key}
        self._client_args: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "config": config,
            **credentials,
        }
        self._client: Any = None
        self._client_pid = 0
        part = max(5, part_mb) * MB  # S3 refuses parts under 5 MiB (but the last)
        self.transfer = TransferConfig(
            multipart_threshold=part,
            multipart_chunksize=part,
            max_concurrency=TRANSFER_THREADS,
            use_threads=True,
        )

    @property
    def client(self) -> Any:
        """This process's S3 client: worker processes are forked from a parent that may have used
        its own, and connections in a pool must never be shared across a fork."""
        if self._client is None or self._client_pid != os.getpid():
            # Two threads racing here each build a client and one is kept: harmless, and no lock
            # that a fork could copy while held.
            self._client = boto3.session.Session().client("s3", **self._client_args)
            self._client_pid = os.getpid()
        return self._client

    def __repr__(self) -> str:
        return f"S3BlobStore(s3://{self.bucket}/{self.prefix}, endpoint={self.endpoint_url or 'AWS'})"

    def _object(self, key: str) -> str:
        checked_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_file(self, key: str, spool: Path) -> None:
        name = self._object(key)
        try:
            if not self.exists(key):
                with _translated(self, key), create_transfer_manager(self.client, self.transfer) as manager:
                    manager.upload(str(spool), self.bucket, name).result()
        finally:
            spool.unlink(missing_ok=True)

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        name = self._object(key)
        with _translated(self, key):
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
        body = answer["Body"]
        try:
            yield _reader(self, key, body)
        finally:
            body.close()

    @contextmanager
    def local_path(self, key: str) -> Iterator[Path]:
        name = self._object(key)
        directory = self.tmp_dir
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=directory, prefix="blob-", suffix=Path(key).suffix)
        os.close(handle)
        path = Path(temp)
        try:
            with _translated(self, key), create_transfer_manager(self.client, self.transfer) as manager:
                manager.download(self.bucket, name, str(path)).result()
            yield path
        finally:
            path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        name = self._object(key)
        try:
            with _translated(self, key):
                self.client.head_object(Bucket=self.bucket, Key=name)
        except NotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        name = self._object(key)
        try:
            with _translated(self, key):
                self.client.delete_object(Bucket=self.bucket, Key=name)
        except NotFound:
            pass

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            _raise(self, exc, None)

    def _where(self) -> str:
        return self.endpoint_url or "AWS S3"


@contextmanager
def _translated(store: S3BlobStore, key: str) -> Iterator[None]:
    try:
        yield
    except (ClientError, BotoCoreError, S3TransferRetriesExceededError) as exc:
        _raise(store, exc, key)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _raise(store: S3BlobStore, exc: Exception, key: str | None) -> NoReturn:
    """One place that decides what an S3 failure means to the rest of docintake."""
    bucket, where = store.bucket, store._where()
    if isinstance(exc, ClientError):
        code, status = _code(exc), _status(exc)
        # HEAD answers carry no error code: a 404 to a request about no key is the bucket's.
        if code == "NoSuchBucket" or (key is None and status == 404):
            raise _misconfigured(
                f"S3 bucket {bucket!r} does not exist at {where}: create it or fix DOCINTAKE_BLOB_URL"
            ) from None
        if key is not None and (code in MISSING_KEY_CODES or status == 404):
            raise NotFound(f"blob {key} is missing") from None
        if code in TRANSIENT_CODES or status >= 500:
            raise StorageUnavailable(
                f"S3 bucket {bucket!r} at {where} is failing ({code or status}); try again later"
            ) from exc
        if code in REFUSED_CODES or status == 403:
            raise _misconfigured(
                f"S3 bucket {bucket!r} at {where} refused the credentials ({code or status}): check "
                "DOCINTAKE_BLOB_S3_ACCESS_KEY_ID and DOCINTAKE_BLOB_S3_SECRET_ACCESS_KEY"
            ) from None
        raise DocintakeError(f"S3 bucket {bucket!r} at {where} answered {code or status}") from exc
    if isinstance(exc, NoCredentialsError):
        raise _misconfigured(
            f"no credentials for S3 bucket {bucket!r}: set DOCINTAKE_BLOB_S3_ACCESS_KEY_ID or configure "
            "boto3's credential chain"
        ) from None
    # A download whose stream kept breaking ends in s3transfer's RetriesExceededError.
    if isinstance(exc, HTTPClientError | BotoConnectionError | S3TransferRetriesExceededError):
        raise StorageUnavailable(
            f"S3 bucket {bucket!r} at {where} is unreachable ({type(exc).__name__}); try again later"
        ) from exc
    raise DocintakeError(f"S3 bucket {bucket!r} at {where} failed: {type(exc).__name__}") from exc


class _BodyReader(io.RawIOBase):
    """The response stream as a real file object (``BinaryIO``, not botocore's StreamingBody), on
    which a connection lost mid-read is ``StorageUnavailable`` like any other store failure."""

    def __init__(self, store: S3BlobStore, key: str, body: Any) -> None:
        self.store, self.key, self.body = store, key, body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        with _translated(self.store, self.key):
            data = self.body.read(len(view))
        view[: len(data)] = data
        return len(data)


def _reader(store: S3BlobStore, key: str, body: Any) -> BinaryIO:
    return io.BufferedReader(_BodyReader(store, key, body), buffer_size=256 * 1024)


def s3_from_settings(url: str, settings: Settings) -> S3BlobStore:
    parsed = urlparse(url)
    return S3BlobStore(
        parsed.netloc,
        parsed.path,
        endpoint_url=settings.blob_s3_endpoint_url,
        region=settings.blob_s3_region,
        access_key_id=settings.blob_s3_access_key_id,
        secret_access_key=settings.blob_s3_secret_access_key.get_secret_value(),
        part_mb=settings.blob_s3_part_mb,
        tmp_dir=settings.tmp_dir,
    )
