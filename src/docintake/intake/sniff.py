"""What a file really is, from its bytes: the name and the client's Content-Type are not trusted.

Known document formats are recognised by their magic bytes; ``filetype`` names everything else so
a rejection can say what the file was ("a GIF image") rather than just "unsupported". ZIP needs a
look inside, because Office and OpenDocument files are ZIP containers too and must not be unpacked
as bundles.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filetype

from docintake.domain import ZIP_MEDIA_TYPE

HEAD_BYTES = 8192

_HEIF_BRANDS = {
    "heic": "image/heic",
    "heix": "image/heic",
    "heim": "image/heic",
    "heis": "image/heic",
    "hevc": "image/heic",
    "hevx": "image/heic",
    "mif1": "image/heif",
    "msf1": "image/heif",
}
_OFFICE_MARKERS = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint file"),
}


@dataclass(frozen=True)
class Sniffed:
    """The verdict on one file: a processable ``document``, a ``bundle`` to unpack, or not for us."""

    kind: Literal["document", "bundle", "unsupported"]
    media_type: str | None
    reason: str | None = None
    code: str = "unsupported_type"  # the rejection code of an ``unsupported`` verdict


def _magic(head: bytes) -> str | None:
    # Signatures anchored at offset 0 come first: a stored (uncompressed) zip of PDFs, or an
    # image whose metadata quotes a PDF, holds "%PDF-" in its first KB too.
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(len(head), 64), 4)]
        for brand in brands:
            media = _HEIF_BRANDS.get(brand.decode("latin-1"))
            if media:
                return media
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return ZIP_MEDIA_TYPE
    if b"%PDF-" in head[:1024]:  # readers accept a PDF header anywhere in the first KB
        return "application/pdf"
    return None


def _inspect_zip(path: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                media = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return Sniffed("unsupported", media, f"OpenDocument files ({media}) are not supported")
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return Sniffed("unsupported", ZIP_MEDIA_TYPE, f"damaged zip archive: {exc}", code="zip_invalid")
    if "[Content_Types].xml" in names:
        for marker, (media, label) in _OFFICE_MARKERS.items():
            if any(name.startswith(marker) for name in names):
                return Sniffed("unsupported", media, f"{label}s are not supported; send a PDF or image")
        return Sniffed("unsupported", "application/vnd.openxmlformats", "Office files are not supported")
    return Sniffed("bundle", ZIP_MEDIA_TYPE)


def _looks_textual(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def sniff_file(path: Path, filename: str) -> Sniffed:
    """Classify the file at ``path``; ``filename`` only helps to name formats without magic."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head:
        return Sniffed("unsupported", None, "the file is empty", code="empty_file")
    media = _magic(head)
    if media == ZIP_MEDIA_TYPE:
        return _inspect_zip(path)
    if media is not None:
        return Sniffed("document", media)
    lowered = filename.lower()
    if _looks_textual(head):
        stripped = head.lstrip()
        if stripped.startswith(b"<?xml") or (stripped.startswith(b"<") and lowered.endswith(".xml")):
            return Sniffed("unsupported", "application/xml", "XML files are not accepted yet")
        if lowered.endswith((".csv", ".tsv")):
            return Sniffed("unsupported", "text/csv", "CSV files are not accepted yet")
        return Sniffed("unsupported", "text/plain", "plain text is not a supported document format")
    guess = filetype.guess(head)
    if guess is not None:
        return Sniffed("unsupported", guess.mime, f"{guess.mime} files are not supported")
    return Sniffed("unsupported", "application/octet-stream", "unrecognised file format")


def supported_formats() -> str:
    return "PDF, JPEG, PNG, TIFF, WEBP, HEIC/HEIF, or a ZIP of these"
