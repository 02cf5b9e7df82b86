"""Tests for the streaming multipart parser: bodies are built by hand, byte by byte."""

from __future__ import annotations

import asyncio
import hashlib
import tracemalloc
import unicodedata
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from docintake.api.multipart import ParsedForm, parse_multipart
from docintake.errors import PayloadTooLarge, ValidationFailed

BOUNDARY = b"----docintakeBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY.decode()}"
MB = 1024 * 1024


def part(disposition: bytes, content: bytes = b"", content_type: bytes | None = None) -> bytes:
    headers = b"Content-Disposition: " + disposition + b"\r\n"
    if content_type is not None:
        headers += b"Content-Type: " + content_type + b"\r\n"
    return b"--" + BOUNDARY + b"\r\n" + headers + b"\r\n" + content + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


def file_part(filename: bytes, content: bytes, field: bytes = b"files") -> bytes:
    return part(
        b'form-data; name="' + field + b'"; filename="' + filename + b'"', content, b"application/pdf"
    )


async def stream(data: bytes, size: int = 65536) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def parse(
    data: bytes | AsyncIterator[bytes],
    tmp_dir: Path,
    *,
    chunk: int = 65536,
    content_type: str = CONTENT_TYPE,
    max_file_bytes: int = 10 * MB,
    max_request_bytes: int = 100 * MB,
    max_files: int = 10,
    max_field_bytes: int = MB,
) -> ParsedForm:
    chunks = stream(data, chunk) if isinstance(data, bytes) else data
    return asyncio.run(
        parse_multipart(
            chunks,
            content_type,
            tmp_dir=tmp_dir,
            max_file_bytes=max_file_bytes,
            max_request_bytes=max_request_bytes,
            max_files=max_files,
            max_field_bytes=max_field_bytes,
        )
    )


def only_filename(disposition: bytes, tmp_dir: Path, content: bytes = b"x") -> str:
    form = parse(body(part(disposition, content)), tmp_dir)
    assert len(form.files) == 1
    form.cleanup()
    return form.files[0].filename


@pytest.mark.parametrize("chunk", [1, 7, 65536])
def test_files_and_repeated_text_fields(tmp_path: Path, chunk: int) -> None:
    pdf, png = b"%PDF-1.7\r\n--not a boundary\r\n" * 100, bytes(range(256)) * 10
    data = body(
        part(b'form-data; name="urls"', b"https://example.com/a.pdf"),
        file_part(b"a.pdf", pdf),
        part(b'form-data; name="urls"', b"https://example.com/b.pdf"),
        part(b'form-data; name="files"; filename="b.png"', png, b"image/png"),
        part(b"form-data; name=note", "grüße".encode()),
    )
    form = parse(data, tmp_path, chunk=chunk)
    assert form.fields == {
        "urls": ["https://example.com/a.pdf", "https://example.com/b.pdf"],
        "note": ["grüße"],
    }
    assert [(f.field, f.filename, f.content_type) for f in form.files] == [
        ("files", "a.pdf", "application/pdf"),
        ("files", "b.png", "image/png"),
    ]
    for uploaded, content in zip(form.files, [pdf, png], strict=True):
        assert uploaded.path is not None and uploaded.path.parent == tmp_path
        assert uploaded.path.read_bytes() == content
        assert (uploaded.size, uploaded.sha256) == (len(content), hashlib.sha256(content).hexdigest())
        assert not uploaded.too_large
    form.cleanup()
    form.cleanup()  # idempotent
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        (b'form-data; name="files"; filename="a.pdf"', "a.pdf"),
        (b"form-data; name=files; filename=plain.pdf", "plain.pdf"),
        (b'Form-Data; NAME="files"; FILENAME="upper.pdf"', "upper.pdf"),
        (
            b'form-data; name="files"; filename="fallback.pdf"; filename*=UTF-8\'\'%E2%82%AC%20rechnung.pdf',
            "€ rechnung.pdf",
        ),
        (b'form-data; name="files"; filename*=utf-8\'\'%E2%82%AC.pdf; filename="fallback.pdf"', "€.pdf"),
        (b"form-data; name=\"files\"; filename*=iso-8859-1'de'M%FCller.pdf", "Müller.pdf"),
        (b'form-data; name="files"; filename="f.pdf"; filename*=koi8-r\'\'%C1.pdf', "f.pdf"),
        (b'form-data; name="files"; filename="f.pdf"; filename*=UTF-8\'\'%FF.pdf', "f.pdf"),
        (
            'form-data; name="files"; filename="Müller–Rechnung_請求書.pdf"'.encode(),
            "Müller–Rechnung_請求書.pdf",
        ),
        (b'form-data; name="files"; filename="M\xfcller.pdf"', "Müller.pdf"),
        (b'form-data; name="files"; filename="C:\\Users\\x\\a.pdf"', "a.pdf"),
        (b'form-data; name="files"; filename="\\\\server\\share\\b.pdf"', "b.pdf"),
        (b'form-data; name="files"; filename="../../etc/passwd"', "passwd"),
        (b'form-data; name="files"; filename="a\\"b;c.pdf"', 'a"b;c.pdf'),
        (b'form-data; name="files"; filename="%22quoted%22.pdf"', "%22quoted%22.pdf"),
        (b'form-data; name="files"; filename="a\tb\x7f.pdf"', "ab.pdf"),
        (b'form-data; name="files"; filename=""', "upload"),
        (b'form-data; name="files"; filename="dir/"', "upload"),
        (b'form-data; name="files"; filename=".."', "upload"),
    ],
)
def test_filename(tmp_path: Path, disposition: bytes, expected: str) -> None:
    assert only_filename(disposition, tmp_path) == expected


def test_nfd_filename_is_normalised_to_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Müller_é.pdf")
    assert nfd != "Müller_é.pdf"
    name = only_filename(b'form-data; name="files"; filename="' + nfd.encode() + b'"', tmp_path)
    assert name == "Müller_é.pdf" == unicodedata.normalize("NFC", name)


def test_field_name_may_be_quoted_with_semicolon(tmp_path: Path) -> None:
    form = parse(body(part(b'form-data; name="a;b"', b"1"), part(b"form-data; name=c", b"2")), tmp_path)
    assert form.fields == {"a;b": ["1"], "c": ["2"]}


def test_empty_file_input_is_skipped(tmp_path: Path) -> None:
    data = body(part(b'form-data; name="files"; filename=""', b"", b"application/octet-stream"))
    form = parse(data, tmp_path, max_files=0)
    assert form.files == [] and form.fields == {}
    assert list(tmp_path.iterdir()) == []


def test_named_empty_file_is_kept(tmp_path: Path) -> None:
    form = parse(body(file_part(b"empty.txt", b"")), tmp_path)
    [uploaded] = form.files
    assert uploaded.size == 0 and uploaded.sha256 == hashlib.sha256(b"").hexdigest()
    assert uploaded.path is not None and uploaded.path.read_bytes() == b""
    form.cleanup()


def test_oversize_file_is_marked_and_dropped_while_sibling_is_kept(tmp_path: Path) -> None:
    big, small = b"B" * 5000, b"S" * 1000
    form = parse(
        body(file_part(b"big.pdf", big), file_part(b"small.pdf", small)), tmp_path, max_file_bytes=1000
    )
    big_part, small_part = form.files
    assert big_part.too_large and big_part.path is None
    assert big_part.size == 5000 and big_part.sha256 == ""
    assert not small_part.too_large and small_part.size == 1000  # exactly at the limit is fine
    assert small_part.path is not None and small_part.path.read_bytes() == small
    assert list(tmp_path.iterdir()) == [small_part.path]
    form.cleanup()
    assert list(tmp_path.iterdir()) == []


def test_request_over_limit_raises_and_cleans_up(tmp_path: Path) -> None:
    consumed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal consumed
        yield b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="files"; filename="a.pdf"\r\n\r\n'
        while True:
            consumed += 1
            yield b"x" * 1024

    with pytest.raises(PayloadTooLarge, match="10240"):
        parse(endless(), tmp_path, max_request_bytes=10 * 1024)
    assert consumed <= 11  # raised as soon as the count passed the limit
    assert list(tmp_path.iterdir()) == []


def test_missing_final_boundary_is_malformed(tmp_path: Path) -> None:
    data = file_part(b"a.pdf", b"data" * 1000) + b"--" + BOUNDARY[:5]
    with pytest.raises(ValidationFailed) as info:
        parse(data, tmp_path)
    assert info.value.code == "malformed_multipart"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "tail",
    [
        b"--" + BOUNDARY + b"  x\r\n",  # junk after a boundary
        b"--" + BOUNDARY + b"\r\nno colon here\r\n\r\n",  # broken header
    ],
)
def test_parser_error_is_malformed(tmp_path: Path, tail: bytes) -> None:
    data = file_part(b"a.pdf", b"data" * 1000)[:-2] + b"\r\n" + tail
    with pytest.raises(ValidationFailed, match="malformed multipart body") as info:
        parse(data, tmp_path)
    assert info.value.code == "malformed_multipart"
    assert isinstance(info.value.__cause__, ValueError)  # from the parser, not the missing end
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data", "multipart/mixed; boundary=abc", ""]
)
def test_wrong_content_type(tmp_path: Path, content_type: str) -> None:
    with pytest.raises(ValidationFailed, match="expected multipart/form-data") as info:
        parse(body(file_part(b"a.pdf", b"1")), tmp_path, content_type=content_type)
    assert info.value.code == "validation_error"


def test_quoted_boundary_is_accepted(tmp_path: Path) -> None:
    ctype = f'Multipart/Form-Data; charset=utf-8; boundary="{BOUNDARY.decode()}"'
    form = parse(body(part(b'form-data; name="a"', b"1")), tmp_path, content_type=ctype)
    assert form.fields == {"a": ["1"]}


def test_too_many_files(tmp_path: Path) -> None:
    three = body(*(file_part(f"{i}.pdf".encode(), b"x") for i in range(3)))
    assert len(parse(three, tmp_path / "ok", max_files=3).files) == 3
    with pytest.raises(ValidationFailed) as info:
        parse(three, tmp_path / "over", max_files=2)
    assert info.value.code == "too_many_files"
    assert list((tmp_path / "over").iterdir()) == []


def test_text_field_too_large(tmp_path: Path) -> None:
    data = body(file_part(b"a.pdf", b"1"), part(b'form-data; name="urls"', b"u" * 101))
    assert parse(data, tmp_path / "ok", max_field_bytes=101).fields == {"urls": ["u" * 101]}
    with pytest.raises(ValidationFailed) as info:
        parse(data, tmp_path / "over", max_field_bytes=100)
    assert info.value.code == "field_too_large"
    assert list((tmp_path / "over").iterdir()) == []


def test_stream_error_cleans_up(tmp_path: Path) -> None:
    async def disconnect() -> AsyncIterator[bytes]:
        yield file_part(b"a.pdf", b"complete") + file_part(b"b.pdf", b"partial")[:-10]
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        parse(disconnect(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_50mb_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    size, chunk_size = 50 * MB, 64 * 1024
    expected = hashlib.sha256()

    def blocks() -> Iterable[bytes]:
        for i in range(size // chunk_size):
            block = hashlib.sha256(i.to_bytes(8, "big")).digest() * (chunk_size // 32)
            expected.update(block)
            yield block

    async def lazy() -> AsyncIterator[bytes]:
        yield (
            b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\n\r\n'
        )
        for block in blocks():
            yield block
        yield b"\r\n--" + BOUNDARY + b"--\r\n"

    tracemalloc.start()
    try:
        form = parse(lazy(), tmp_path, max_file_bytes=size, max_request_bytes=size + 4096)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * MB, f"peak traced memory {peak} bytes"
    [uploaded] = form.files
    assert uploaded.size == size and uploaded.sha256 == expected.hexdigest()
    assert uploaded.path is not None and uploaded.path.stat().st_size == size
    form.cleanup()


def test_many_small_text_fields_cannot_fill_memory(tmp_path: Path) -> None:
    """Each field under the per-field cap, but together over twice it: refused, not buffered."""
    boundary = "b0undary"
    field = b"x" * 1000
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\n'.encode() + field + b"\r\n"
        for i in range(100)
    )
    body = parts + f"--{boundary}--\r\n".encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield body

    with pytest.raises(ValidationFailed) as caught:
        asyncio.run(
            parse_multipart(
                chunks(),
                f"multipart/form-data; boundary={boundary}",
                tmp_dir=tmp_path,
                max_file_bytes=10_000,
                max_request_bytes=10_000_000,
                max_files=10,
                max_field_bytes=20_000,
            )
        )
    assert caught.value.code == "field_too_large"
