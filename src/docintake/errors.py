"""docintake's one exception tree. Every error a user can see is one of these.

The API maps them, in one place (``docintake.api.problems``), to RFC 9457 problem details;
the worker records ``code`` and ``message`` on the file or document it was processing.

    DocintakeError                       code            HTTP
    ├── BadRequest                       bad_request     400
    │   ├── ValidationFailed             validation_error
    │   └── UnsupportedUpload            unsupported_file
    ├── Unauthorized                     unauthorized    401
    ├── Forbidden                        forbidden       403
    ├── NotFound                         not_found       404
    ├── Conflict                         conflict        409
    ├── PayloadTooLarge                  payload_too_large 413
    ├── ServiceUnavailable               unavailable     503   (retryable)
    │   └── StorageUnavailable           storage_unavailable   (blob store or database down)
    └── FileError                        (per-file problems: recorded on the file, or listed
        │                                 in a 400's ``errors`` when no file was accepted)
        ├── FileRejected                 rejected at intake: unsupported type, unsafe path, ...
        └── ProcessingError              failed in the worker: unreadable, timeout, fetch ...
            └── TransientError           worth retrying later (storage or network down)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileProblem:
    """One problem with one file, as listed in an answer's ``errors``."""

    file: str
    code: str
    message: str


class DocintakeError(Exception):
    """Base of every error docintake raises on purpose."""

    status: int = 500
    code: str = "internal_error"
    title: str = "Internal error"
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        errors: list[FileProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.errors = errors or []
        self.headers = headers or {}


class BadRequest(DocintakeError):
    status, code, title = 400, "bad_request", "Bad request"


class ValidationFailed(BadRequest):
    code, title = "validation_error", "Invalid request"


class UnsupportedUpload(BadRequest):
    """No file of the request could be accepted; ``errors`` names each one and why."""

    code, title = "unsupported_file", "No acceptable file"


class Unauthorized(DocintakeError):
    status, code, title = 401, "unauthorized", "Unauthorized"


class Forbidden(DocintakeError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(DocintakeError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(DocintakeError):
    status, code, title = 409, "conflict", "Conflict"


class PayloadTooLarge(DocintakeError):
    status, code, title = 413, "payload_too_large", "Payload too large"


class ServiceUnavailable(DocintakeError):
    status, code, title, retryable = 503, "unavailable", "Service unavailable", True


class StorageUnavailable(ServiceUnavailable):
    """A store the work depends on (blob store, database) did not answer: the same call may work
    later, so a worker retries the file with backoff instead of failing it, and the API answers 503."""

    code, title = "storage_unavailable", "Storage unavailable"


class FileError(DocintakeError):
    """A problem with one file. ``code`` is stored on the file record."""

    status, code, title = 400, "file_error", "File error"


class FileRejected(FileError):
    code, title = "rejected", "File rejected"


class ProcessingError(FileError):
    code, title = "processing_failed", "Processing failed"


class TransientError(ProcessingError):
    code, title, retryable = "transient_error", "Temporary failure", True
