"""Multipart intake forms to IncomingFiles and IntakeOptions: the one translation for every form route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Request

from docintake.api.multipart import ParsedForm, parse_multipart
from docintake.domain import FileSource
from docintake.errors import ValidationFailed
from docintake.intake.incoming import IncomingFile, clean_filename
from docintake.services.container import Container
from docintake.services.options import (
    IntakeOptions,
    bounded,
    parse_bool,
    parse_info,
    parse_invoice_type,
    parse_processing_pref,
)


@asynccontextmanager
async def uploaded_form(request: Request, container: Container) -> AsyncIterator[ParsedForm]:
    """The request's multipart form, streamed to spool files that are gone when the block ends."""
    s = container.settings
    s.tmp_dir.mkdir(parents=True, exist_ok=True)
    form = await parse_multipart(
        request.stream(),
        request.headers.get("content-type", ""),
        tmp_dir=s.tmp_dir,
        max_file_bytes=s.max_file_bytes,
        max_request_bytes=s.max_request_bytes,
        max_files=s.max_files_per_request,
    )
    try:
        yield form
    finally:
        form.cleanup()


def _one(form: ParsedForm, *names: str) -> str | None:
    for name in names:
        values = form.fields.get(name)
        if values:
            return values[-1]
    return None


def incoming_files(form: ParsedForm, fields: Iterable[str], max_file_bytes: int) -> list[IncomingFile]:
    wanted = set(fields)
    items: list[IncomingFile] = []
    for part in form.files:
        if part.field not in wanted:
            continue
        item = IncomingFile(
            clean_filename(part.filename),
            FileSource.upload,
            spool=part.path,
            size=part.size,
            sha256=part.sha256 or None,
        )
        if part.too_large:
            item.problem = ("file_too_large", f"the file is larger than the limit of {max_file_bytes} bytes")
        items.append(item)
    return items


def incoming_urls(urls: Iterable[str]) -> list[IncomingFile]:
    items = []
    for url in urls:
        url = url.strip()
        if url:
            name = clean_filename(url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0], "download")
            items.append(IncomingFile(name, FileSource.url, source_url=url))
    return items


def upload_options(form: ParsedForm) -> IntakeOptions:
    return IntakeOptions(
        document_type=_one(form, "type", "document_type"),
        processing_pref=parse_processing_pref(_one(form, "processing_pref")),
        invoice_type=parse_invoice_type(_one(form, "invoice_type")),
        priority=parse_bool("priority_flag", _one(form, "priority_flag")),
        source_name=bounded("source_name", _one(form, "source_name"), 200),
        info=parse_info(_one(form, "info")),
        password=bounded("password", _one(form, "password"), 500) or None,
    )


def batch_options(form: ParsedForm) -> IntakeOptions:
    base = upload_options(form)
    create = parse_bool("create_new_set", _one(form, "create_new_set"))
    reference = _one(form, "set_reference_number")
    if create and reference:
        raise ValidationFailed("send either create_new_set or set_reference_number, not both")
    return IntakeOptions(
        **{
            **base.__dict__,
            "create_new_set": create,
            "set_name": bounded("set_name", _one(form, "set_name"), 200),
            "set_reference": reference or None,
        },
    )


def json_options(body: Any) -> IntakeOptions:
    return IntakeOptions(
        document_type=body.type,
        processing_pref=parse_processing_pref(body.processing_pref),
        info=parse_info(body.info),
        password=body.password,
    )


def multipart_body(fields: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI description of a multipart route whose body we parse ourselves (streaming)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": fields}}},
        }
    }


BINARY_LIST = {"type": "array", "items": {"type": "string", "format": "binary"}}
UPLOAD_FIELDS: dict[str, Any] = {
    "files": BINARY_LIST,
    "urls": {"type": "array", "items": {"type": "string"}, "deprecated": True},
    "info": {"type": "string", "description": "JSON object stored and returned with every file and document"},
    "type": {"type": "string", "description": "document type hint, e.g. invoice; default auto-detect"},
    "processing_pref": {"type": "string", "enum": ["speed", "accuracy"]},
    "password": {"type": "string", "description": "password of encrypted PDFs"},
}
BATCH_FIELDS: dict[str, Any] = {
    "file": {"type": "string", "format": "binary"},
    "files": BINARY_LIST,
    "processing_pref": {"type": "string", "enum": ["speed", "accuracy"]},
    "document_type": {"type": "string"},
    "invoice_type": {"type": "string", "enum": ["B2B", "B2C"]},
    "priority_flag": {"type": "boolean"},
    "source_name": {"type": "string"},
    "create_new_set": {"type": "boolean"},
    "set_name": {"type": "string"},
    "set_reference_number": {"type": "string"},
    "info": {"type": "string"},
}
