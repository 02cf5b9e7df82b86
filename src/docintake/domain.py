"""Statuses and vocabularies shared by every layer (no I/O here)."""

from __future__ import annotations

from enum import StrEnum


class FileStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    processed = "processed"
    failed = "failed"
    rejected = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (FileStatus.processed, FileStatus.failed, FileStatus.rejected)


class DocumentStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    processed = "processed"
    failed = "failed"


class ReviewStatus(StrEnum):
    needs_review = "needsReview"
    approved = "approved"
    discarded = "discarded"


class ProcessingPref(StrEnum):
    speed = "speed"
    accuracy = "accuracy"


class InvoiceType(StrEnum):
    b2b = "B2B"
    b2c = "B2C"


class FileSource(StrEnum):
    upload = "upload"
    url = "url"
    zip = "zip"
    base64 = "base64"


BUILTIN_DOCUMENT_TYPES = (
    "invoice",
    "receipt",
    "deliveryNote",
    "purchaseOrder",
    "bankStatement",
    "creditNote",
)

# Media types the processing pipeline accepts (ZIP is a container, unpacked at intake).
PROCESSABLE_MEDIA_TYPES = frozenset(
    {
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/tiff",
        "image/webp",
        "image/heic",
        "image/heif",
    }
)
ZIP_MEDIA_TYPE = "application/zip"
