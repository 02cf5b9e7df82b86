"""File type comes from the bytes, not the name."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from docintake.intake.sniff import sniff_file
from tests.conftest import make_pdf, make_png, make_tiff, make_zip


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(buffer, format=fmt)
    return buffer.getvalue()


def _heic_header(brand: bytes) -> bytes:
    return b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1" + brand + b"\x00" * 64


@pytest.mark.parametrize(
    ("data", "name", "kind", "media"),
    [
        (make_pdf(), "x.png", "document", "application/pdf"),
        (b"\n\n%PDF-1.7\n" + make_pdf()[9:], "x", "document", "application/pdf"),
        (make_png(), "x.pdf", "document", "image/png"),
        (_image("JPEG"), "x", "document", "image/jpeg"),
        (make_tiff(), "x", "document", "image/tiff"),
        (_image("WEBP"), "x", "document", "image/webp"),
        (_heic_header(b"heic"), "IMG_0001.HEIC", "document", "image/heic"),
        (_heic_header(b"mif1"), "x", "document", "image/heif"),
        (make_zip({"a.pdf": make_pdf()}), "x", "bundle", "application/zip"),
        (_image("GIF"), "x.pdf", "unsupported", "image/gif"),
        (b"hello, world\n", "notes.txt", "unsupported", "text/plain"),
        (b"a,b,c\n1,2,3\n", "x.csv", "unsupported", "text/csv"),
        (b"<?xml version='1.0'?><Invoice/>", "x.xml", "unsupported", "application/xml"),
        (b"", "empty.pdf", "unsupported", None),
        (b"\x00\x01\x02\x03" * 10, "x.pdf", "unsupported", "application/octet-stream"),
    ],
)
def test_sniff(tmp_path: Path, data: bytes, name: str, kind: str, media: str | None) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    verdict = sniff_file(path, name)
    assert (verdict.kind, verdict.media_type) == (kind, media)
    assert (verdict.reason is None) == (kind != "unsupported")


def test_office_files_are_not_bundles(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    path = tmp_path / "book.zip"
    path.write_bytes(buffer.getvalue())
    verdict = sniff_file(path, "book.zip")
    assert verdict.kind == "unsupported"
    assert verdict.reason is not None and "Excel" in verdict.reason
