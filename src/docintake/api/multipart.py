"""Streaming multipart/form-data parser for uploads.

Why not Starlette's ``request.form()``: it ignores RFC 5987 ``filename*`` (so non-ASCII names sent
by API clients come out as the ASCII fallback) and spools through ``SpooledTemporaryFile``, which we
would then have to copy again. Here every file part goes straight, chunk by chunk, into its own
temp file in ``tmp_dir`` while its sha256 is computed, so memory stays bounded whatever the upload
size and a finished file can be moved into blob storage with a rename. The byte-level parsing is
``python_multipart.MultipartParser``; this module adds limits, filenames and cleanup.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import unquote_to_bytes

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from docintake.errors import PayloadTooLarge, ValidationFailed
from docintake.intake.incoming import clean_filename

__all__ = ["ParsedForm", "UploadedPart", "parse_multipart"]


@dataclass
class UploadedPart:
    """One file part. ``path`` is None when the part was too large (its bytes were dropped)."""

    field: str
    filename: str
    path: Path | None
    size: int
    sha256: str
    content_type: str | None
    too_large: bool


@dataclass
class ParsedForm:
    """The parsed request. The caller owns the temp files and must call :meth:`cleanup`."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: list[UploadedPart] = field(default_factory=list)

    def cleanup(self) -> None:
        """Delete every temp file still present; safe to call twice or after files were moved."""
        for part in self.files:
            if part.path is not None:
                part.path.unlink(missing_ok=True)


# One ``; key=value`` parameter. A quoted value may hold ``;`` and backslash escapes; an
# unterminated quote runs to the end rather than failing, as browsers never send one anyway.
_PARAM = re.compile(r'[\s;]*([^\s=;]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"?|[^;]*))?', re.DOTALL)
# RFC 5987 ext-value: charset'language'percent-encoded-bytes.
_EXT_VALUE = re.compile(r"([^']*)'[^']*'(.*)", re.DOTALL)
_EXT_CHARSETS = {"utf-8": "utf-8", "iso-8859-1": "iso-8859-1"}


def _decode_header(raw: bytes) -> str:
    """Browsers send raw UTF-8 in headers; anything that is not valid UTF-8 is taken as latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _unquote(value: str) -> str:
    """Only ``\\"`` and ``\\\\`` are escapes: old IE sends ``C:\\Users\\a.pdf`` unescaped."""
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if len(value) > 1 and value.endswith('"') else value[1:]
        return re.sub(r'\\(["\\])', r"\1", value)
    return value


def _parse_disposition(header: str) -> tuple[str, dict[str, str]]:
    """Split a Content-Disposition into its lower-cased type and ``{lower-cased key: value}``.

    Hand-written rather than ``email.message.Message``: that one also decodes RFC 2231 params
    silently and treats every backslash as an escape, which mangles Windows paths.
    """
    kind, _, rest = header.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(rest):  # finditer skips junk such as a stray "=" and resyncs
        params.setdefault(match.group(1).lower(), _unquote(match.group(2) or ""))
    return kind.strip().lower(), params


def _decode_ext_value(value: str) -> str | None:
    """Decode ``UTF-8''%E2%82%AC.pdf``; None when it is malformed or in another charset."""
    match = _EXT_VALUE.fullmatch(value)
    charset = _EXT_CHARSETS.get(match.group(1).strip().lower()) if match else None
    if match is None or charset is None:
        return None
    try:
        return unquote_to_bytes(match.group(2)).decode(charset)
    except UnicodeDecodeError:
        return None


class _Builder:
    """Holds the state between MultipartParser callbacks and turns the parts into a ParsedForm."""

    def __init__(self, tmp_dir: Path, max_file_bytes: int, max_files: int, max_field_bytes: int) -> None:
        self.tmp_dir, self.max_file_bytes = tmp_dir, max_file_bytes
        self.max_files, self.max_field_bytes = max_files, max_field_bytes
        # All text fields together: each is capped, and so is their sum, or thousands of small
        # fields would hold the request in memory after all.
        self.text_budget = max_field_bytes * 2
        self.form = ParsedForm()
        self.ended = False
        self._reset()

    def _reset(self) -> None:
        self.headers: dict[str, str] = {}
        self.header_field, self.header_value = bytearray(), bytearray()
        self.name = ""
        self.text: bytearray | None = None  # text part being read
        self.part: UploadedPart | None = None  # file part being read
        self.out: IO[bytes] | None = None
        self.hasher = hashlib.sha256()
        self.pending_filename: str | None = None  # file part whose temp file waits for a first byte

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        key = _decode_header(bytes(self.header_field)).strip().lower()
        self.headers.setdefault(key, _decode_header(bytes(self.header_value)).strip())
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        kind, params = _parse_disposition(self.headers.get("content-disposition", ""))
        if kind != "form-data" or "name" not in params:
            raise ValidationFailed(
                "multipart part without a Content-Disposition: form-data name", code="malformed_multipart"
            )
        self.name = params["name"]
        if "filename*" in params or "filename" in params:
            ext = _decode_ext_value(params["filename*"]) if "filename*" in params else None
            raw = ext if ext is not None else params.get("filename", "")
            # An empty file input arrives as filename="" with no bytes: only open a file if data comes.
            self.pending_filename = raw
            if raw:
                self._start_file()
        else:
            self.text = bytearray()

    def _start_file(self) -> None:
        if len(self.form.files) >= self.max_files:
            raise ValidationFailed(f"more than {self.max_files} files in one request", code="too_many_files")
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.out = tempfile.NamedTemporaryFile(dir=self.tmp_dir, prefix="upload-", delete=False)  # noqa: SIM115
        self.part = UploadedPart(
            field=self.name,
            filename=clean_filename(self.pending_filename or ""),
            path=Path(self.out.name),
            size=0,
            sha256="",
            content_type=self.headers.get("content-type"),
            too_large=False,
        )
        self.form.files.append(self.part)
        self.pending_filename = None

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = memoryview(data)[start:end]  # a view: no copy of file bytes
        if self.text is not None:
            self.text_budget -= len(chunk)
            if self.text_budget < 0:
                raise ValidationFailed(
                    f"the form's text fields add up to more than {self.max_field_bytes * 2} bytes",
                    code="field_too_large",
                )
            if len(self.text) + len(chunk) > self.max_field_bytes:
                raise ValidationFailed(
                    f"form field {self.name!r} is larger than {self.max_field_bytes} bytes",
                    code="field_too_large",
                )
            self.text += chunk
            return
        if self.pending_filename is not None:
            self._start_file()
        part = self.part
        assert part is not None
        part.size += len(chunk)
        if part.too_large:
            return
        if part.size > self.max_file_bytes:
            self._drop_file(part)
            return
        assert self.out is not None
        self.out.write(chunk)
        self.hasher.update(chunk)

    def _drop_file(self, part: UploadedPart) -> None:
        """Over the per-file limit: free the disk now but keep counting so the caller can report it."""
        self.close_output()
        if part.path is not None:
            part.path.unlink(missing_ok=True)
        part.path, part.too_large = None, True

    def on_part_end(self) -> None:
        if self.text is not None:
            self.form.fields.setdefault(self.name, []).append(self.text.decode("utf-8", "replace"))
        elif self.part is not None:
            self.close_output()
            if not self.part.too_large:
                self.part.sha256 = self.hasher.hexdigest()
        self._reset()

    def on_end(self) -> None:
        self.ended = True

    def close_output(self) -> None:
        if self.out is not None:
            self.out.close()
            self.out = None


def _boundary(content_type: str) -> bytes:
    ctype, options = parse_options_header(content_type)
    boundary = options.get(b"boundary", b"")
    if ctype != b"multipart/form-data" or not boundary:
        raise ValidationFailed(
            "request body must be multipart/form-data with a boundary; expected multipart/form-data, "
            f"got {content_type!r}",
            code="validation_error",
        )
    return boundary


async def parse_multipart(
    chunks: AsyncIterator[bytes],
    content_type: str,
    *,
    tmp_dir: Path,
    max_file_bytes: int,
    max_request_bytes: int,
    max_files: int,
    max_field_bytes: int = 1024 * 1024,
) -> ParsedForm:
    """Parse a multipart/form-data body, spooling each file part to its own temp file in ``tmp_dir``.

    On any exception (limits, malformed body, client disconnect) every temp file is deleted before
    it propagates; on success the caller owns them and calls ``ParsedForm.cleanup``.
    """
    boundary = _boundary(content_type)
    builder = _Builder(tmp_dir, max_file_bytes, max_files, max_field_bytes)
    try:
        try:
            parser = MultipartParser(
                boundary,
                callbacks={
                    "on_header_field": builder.on_header_field,
                    "on_header_value": builder.on_header_value,
                    "on_header_end": builder.on_header_end,
                    "on_headers_finished": builder.on_headers_finished,
                    "on_part_data": builder.on_part_data,
                    "on_part_end": builder.on_part_end,
                    "on_end": builder.on_end,
                },
            )
        except FormParserError as exc:
            raise ValidationFailed(f"invalid multipart boundary: {exc}", code="validation_error") from exc
        total = 0
        async for chunk in chunks:
            total += len(chunk)
            if total > max_request_bytes:
                raise PayloadTooLarge(f"request body is larger than the limit of {max_request_bytes} bytes")
            try:
                parser.write(chunk)
            except FormParserError as exc:
                raise ValidationFailed(
                    f"malformed multipart body: {exc}", code="malformed_multipart"
                ) from exc
        parser.finalize()
        if not builder.ended:  # finalize() does not check this itself
            raise ValidationFailed(
                "malformed multipart body: it ends before the closing boundary", code="malformed_multipart"
            )
    except BaseException:
        builder.close_output()
        builder.form.cleanup()
        raise
    return builder.form
