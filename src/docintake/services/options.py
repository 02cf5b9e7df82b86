"""Intake options: parsed and checked once, whatever endpoint or form they came from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docintake.domain import BUILTIN_DOCUMENT_TYPES, InvoiceType, ProcessingPref
from docintake.errors import ValidationFailed
from docintake.storage.models import DocumentType

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class IntakeOptions:
    document_type: str | None = None
    processing_pref: ProcessingPref = ProcessingPref.speed
    invoice_type: InvoiceType | None = None
    priority: bool = False
    source_name: str | None = None
    info: dict[str, Any] | None = None
    password: str | None = None
    create_new_set: bool = False
    set_name: str | None = None
    set_reference: str | None = None

    def public(self) -> dict[str, Any]:
        """What is stored as the import's options and shown back (never the password)."""
        return {
            "type": self.document_type,
            "processingPref": self.processing_pref.value,
            "invoiceType": self.invoice_type.value if self.invoice_type else None,
            "priorityFlag": self.priority,
            "sourceName": self.source_name,
            "pdfPasswordGiven": self.password is not None,
        }


def parse_bool(name: str, value: str | bool | None) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValidationFailed(f"{name} must be true or false, not {value!r}")


def parse_processing_pref(value: str | None) -> ProcessingPref:
    if value is None or value.strip() == "":
        return ProcessingPref.speed
    try:
        return ProcessingPref(value.strip().lower())
    except ValueError:
        raise ValidationFailed(f"processing_pref must be 'speed' or 'accuracy', not {value!r}") from None


def parse_invoice_type(value: str | None) -> InvoiceType | None:
    if value is None or value.strip() == "":
        return None
    try:
        return InvoiceType(value.strip().upper())
    except ValueError:
        raise ValidationFailed(f"invoice_type must be 'B2B' or 'B2C', not {value!r}") from None


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def parse_info(value: str | dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    if value.strip() == "":
        return None
    try:
        parsed = json.loads(value, parse_constant=_no_constants)  # NaN/Infinity: not JSON
    except json.JSONDecodeError as exc:
        raise ValidationFailed(f"info must be a JSON object: {exc.msg}") from None
    except ValueError as exc:
        raise ValidationFailed(f"info must be a JSON object: {exc}") from None
    if not isinstance(parsed, dict):
        raise ValidationFailed("info must be a JSON object")
    return parsed


def bounded(name: str, value: str | None, limit: int) -> str | None:
    """A free-text option, refused (not truncated) when longer than its column."""
    if value is not None and len(value) > limit:
        raise ValidationFailed(f"{name} must be at most {limit} characters")
    return value


def check_document_type(session: Session, environment_id: str, value: str | None) -> str | None:
    """A built-in type, or a custom type of this environment; anything else is a 400."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if value in BUILTIN_DOCUMENT_TYPES:
        return value
    custom = session.scalar(
        select(DocumentType.name).where(
            DocumentType.environment_id == environment_id, DocumentType.name == value
        )
    )
    if custom is None:
        known = ", ".join(BUILTIN_DOCUMENT_TYPES)
        raise ValidationFailed(f"unknown document type {value!r}: use one of {known} or a custom type")
    return value
