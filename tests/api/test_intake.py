"""Intake over HTTP: uploads, the file/document/import resources, options, limits and batches.

Every test drives the real ASGI app with files generated here; tasks run inline, so statuses are
final when a POST returns (except in the cancel test, which uses a queue nobody consumes).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from docintake.api.app import create_app
from docintake.services.container import Container
from docintake.storage.migrate import upgrade
from docintake.storage.models import Event
from docintake.tasks import HueyQueue
from tests.conftest import Service, Tenant, build_settings, make_pdf, make_png, make_tiff, make_zip
from tests.helpers import assert_problem, created, get
from tests.pdfgen import serialize

FileTuple = tuple[str, bytes, str]


# -- helpers ---------------------------------------------------------------------------------


def upload(
    service: Service,
    files: list[FileTuple],
    data: dict[str, Any] | None = None,
    *,
    field: str = "files",
    path: str = "/v1/ingest/uploads",
    tenant: Tenant | None = None,
) -> Any:
    return service.client.post(
        path,
        files=[(field, f) for f in files],
        data=data or {},
        headers=(tenant or service.tenant).headers,
    )


def status_of(service: Service, ref: dict[str, Any], *, tenant: Tenant | None = None) -> str:
    """The file's status now (an answer shows it as it was at intake: ``queued`` until processed)."""
    status: str = get(service, f"/v1/ingest/files/{ref['id']}", tenant=tenant)["status"]
    return status


def raw_multipart(parts: list[tuple[str, bytes, str | None]]) -> tuple[bytes, dict[str, str]]:
    """A multipart body built by hand: (Content-Disposition value, content, Content-Type) per part."""
    boundary = "docintake-test-boundary"
    body = bytearray()
    for disposition, content, content_type in parts:
        body += f"--{boundary}\r\n".encode()
        body += b"Content-Disposition: " + disposition.encode("utf-8") + b"\r\n"
        if content_type:
            body += f"Content-Type: {content_type}\r\n".encode()
        body += b"\r\n" + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), {"content-type": f"multipart/form-data; boundary={boundary}"}


def make_gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (20, 20)).save(buffer, format="GIF")
    return buffer.getvalue()


def make_docx() -> bytes:
    return make_zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="urn:w"><w:body/></w:document>',
        }
    )


_RC4_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def make_encrypted_pdf(user_password: str, pages: int = 2) -> bytes:
    """A PDF under the standard security handler (RC4, 40 bit, revision 2) opening only with
    ``user_password``. Its pages have no content streams, so no object needs encrypting."""
    padded = (user_password.encode("latin-1") + _RC4_PAD)[:32]
    o_value = _rc4(hashlib.md5(padded).digest()[:5], padded)
    file_id = hashlib.md5(user_password.encode()).digest()
    permissions = -44
    key = hashlib.md5(padded + o_value + struct.pack("<i", permissions) + file_id).digest()[:5]
    u_value = _rc4(key, _RC4_PAD)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        (
            f"<< /Filter /Standard /V 1 /R 2 /O <{o_value.hex()}> /U <{u_value.hex()}> /P {permissions} >>"
        ).encode(),
    ] + [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Encrypt 3 0 R "
        f"/ID [<{file_id.hex()}> <{file_id.hex()}>] >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


# -- the happy path and the resources ----------------------------------------------------------


def test_upload_pdf_png_tiff_answers_ids_and_every_resource_shows_the_result(service: Service) -> None:
    """GIVEN a PDF, a PNG and a 3-page TIFF, each sent with a misleading name and Content-Type
    WHEN they are uploaded in one request
    THEN the answer has the documented shape, and each file, its bytes and its document are final."""
    pdf, png, tiff = make_pdf(2), make_png(), make_tiff(3)
    response = upload(
        service,
        [
            ("scan.png", pdf, "image/png"),
            ("report.pdf", png, "application/pdf"),
            ("pages.jpg", tiff, "image/jpeg"),
        ],
    )
    body = created(response)
    assert set(body) >= {"accountId", "environmentId", "importId", "files", "errors"}
    assert body["environmentId"] == service.tenant.environment_id
    assert body["accountId"] and body["importId"]
    assert body["errors"] == []
    assert [f["filename"] for f in body["files"]] == ["scan.png", "report.pdf", "pages.jpg"]
    for ref in body["files"]:
        assert set(ref) == {"filename", "id", "documentId", "status"}
        assert ref["status"] == "queued"  # as it was when the answer was given
        assert ref["documentId"]
    assert len({f["id"] for f in body["files"]}) == 3

    expected = [
        (pdf, "application/pdf", 2),
        (png, "image/png", 1),
        (tiff, "image/tiff", 3),
    ]
    for ref, (content, media_type, pages) in zip(body["files"], expected, strict=True):
        file = get(service, f"/v1/ingest/files/{ref['id']}")
        assert file["id"] == ref["id"]
        assert file["importId"] == body["importId"]
        assert file["filename"] == ref["filename"]
        assert file["size"] == len(content)
        assert file["sha256"] == hashlib.sha256(content).hexdigest()
        assert file["mediaType"] == media_type
        assert file["pages"] == pages
        assert file["status"] == "processed"
        assert file["error"] is None
        assert file["parentFileId"] is None
        assert file["duplicateOf"] is None
        assert file["source"] == "upload"
        assert [d["id"] for d in file["documents"]] == [ref["documentId"]]
        for stamp in ("createdAt", "updatedAt", "processedAt"):
            assert file[stamp].endswith("Z"), file[stamp]

        content_response = service.client.get(
            f"/v1/ingest/files/{ref['id']}/content", headers=service.tenant.headers
        )
        assert content_response.status_code == 200
        assert content_response.content == content
        assert content_response.headers["content-type"].startswith(media_type)

        document = get(service, f"/v1/documents/{ref['documentId']}")
        assert document["status"] == "processed"
        assert document["fileId"] == ref["id"]
        assert document["importId"] == body["importId"]
        assert document["pages"] == {"start": 1, "end": pages}
        assert document["createdAt"].endswith("Z")

    imported = get(service, f"/v1/imports/{body['importId']}")
    assert imported["status"] == "completed"
    assert imported["counts"]["processed"] == 3
    assert [f["id"] for f in imported["files"]] == [f["id"] for f in body["files"]]


def test_unknown_ids_answer_404_problem(service: Service) -> None:
    for path in (
        "/v1/ingest/files/00000000-0000-7000-8000-000000000000",
        "/v1/ingest/files/nope/content",
        "/v1/documents/nope",
        "/v1/imports/nope",
    ):
        assert_problem(service.client.get(path, headers=service.tenant.headers), 404)


def test_info_is_stored_on_the_import_every_file_and_every_document(service: Service) -> None:
    info = {"customer": "ACME", "ref": 42, "tags": ["a", "ü"], "nested": {"ok": True}}
    body = created(
        upload(
            service,
            [("a.pdf", make_pdf(), "application/pdf"), ("b.png", make_png(), "image/png")],
            {"info": json.dumps(info)},
        )
    )
    assert get(service, f"/v1/imports/{body['importId']}")["info"] == info
    for ref in body["files"]:
        assert get(service, f"/v1/ingest/files/{ref['id']}")["info"] == info
        assert get(service, f"/v1/documents/{ref['documentId']}")["info"] == info


@pytest.mark.parametrize("info", ["not json", "[1, 2]", '"a string"', "{broken"])
def test_invalid_info_is_a_400_problem_not_422(service: Service, info: str) -> None:
    response = upload(service, [("a.pdf", make_pdf(), "application/pdf")], {"info": info})
    body = assert_problem(response, 400)
    assert "info" in body["detail"]
    assert get(service, "/v1/imports")["items"] == []


# -- options: type, custom types, processing preference --------------------------------------


def test_builtin_type_hint_is_kept_and_unknown_type_is_400(service: Service) -> None:
    body = created(upload(service, [("a.pdf", make_pdf(), "application/pdf")], {"type": "invoice"}))
    assert get(service, f"/v1/imports/{body['importId']}")["options"]["type"] == "invoice"
    document = get(service, f"/v1/documents/{body['files'][0]['documentId']}")
    assert document["typeHint"] == "invoice"

    response = upload(service, [("a.pdf", make_pdf(seed=1), "application/pdf")], {"type": "banana"})
    assert "banana" in assert_problem(response, 400)["detail"]


def test_custom_document_types_can_be_created_listed_used_and_deleted(service: Service) -> None:
    headers = service.tenant.headers
    client = service.client
    kind = {"name": "customsDeclaration", "description": "Customs forms", "keywords": ["customs", "HS code"]}

    response = client.post("/v1/document-types", json=kind, headers=headers)
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["name"] == "customsDeclaration"
    assert made["keywords"] == ["customs", "HS code"]
    assert made["createdAt"].endswith("Z")

    listed = client.get("/v1/document-types", headers=headers).json()["items"]
    assert [t["name"] for t in listed] == ["customsDeclaration"]

    assert_problem(client.post("/v1/document-types", json=kind, headers=headers), 409)
    assert_problem(client.post("/v1/document-types", json={"name": "invoice"}, headers=headers), 409)
    assert_problem(client.post("/v1/document-types", json={"name": "has space"}, headers=headers), 400)

    body = created(
        upload(service, [("c.pdf", make_pdf(), "application/pdf")], {"type": "customsDeclaration"})
    )
    assert get(service, f"/v1/imports/{body['importId']}")["options"]["type"] == "customsDeclaration"
    document = get(service, f"/v1/documents/{body['files'][0]['documentId']}")
    assert document["typeHint"] == "customsDeclaration"

    other = service.new_tenant("globex", "production")
    response = upload(
        service, [("c.pdf", make_pdf(), "application/pdf")], {"type": "customsDeclaration"}, tenant=other
    )
    assert_problem(response, 400)

    assert client.delete("/v1/document-types/customsDeclaration", headers=headers).status_code == 204
    assert client.get("/v1/document-types", headers=headers).json()["items"] == []
    assert_problem(client.delete("/v1/document-types/customsDeclaration", headers=headers), 404)
    response = upload(
        service, [("c.pdf", make_pdf(seed=2), "application/pdf")], {"type": "customsDeclaration"}
    )
    assert_problem(response, 400)


@pytest.mark.parametrize(("given", "stored"), [("ACCURACY", "accuracy"), ("Speed", "speed"), ("", "speed")])
def test_processing_pref_is_case_insensitive(service: Service, given: str, stored: str) -> None:
    data = {"processing_pref": given} if given else {}
    body = created(upload(service, [("a.pdf", make_pdf(), "application/pdf")], data))
    assert get(service, f"/v1/imports/{body['importId']}")["options"]["processingPref"] == stored


def test_invalid_processing_pref_is_400(service: Service) -> None:
    response = upload(service, [("a.pdf", make_pdf(), "application/pdf")], {"processing_pref": "turbo"})
    assert "processing_pref" in assert_problem(response, 400)["detail"]


# -- refusals --------------------------------------------------------------------------------


def test_request_without_files_or_urls_is_400(service: Service) -> None:
    body, headers = raw_multipart([('form-data; name="type"', b"invoice", None)])
    response = service.client.post(
        "/v1/ingest/uploads", content=body, headers={**headers, **service.tenant.headers}
    )
    assert_problem(response, 400)
    # Not multipart at all: still a problem, never a 422 or 500.
    response = service.client.post("/v1/ingest/uploads", json={}, headers=service.tenant.headers)
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("name", "content"),
    [("anim.gif", make_gif()), ("notes.txt", b"just some plain text\n"), ("empty.pdf", b"")],
)
def test_request_whose_only_file_is_unsupported_is_400_naming_it(
    service: Service, name: str, content: bytes
) -> None:
    response = upload(service, [(name, content, "application/pdf")])
    body = assert_problem(response, 400)
    assert name in body["detail"]
    assert body["errors"][0]["file"] == name
    assert body["errors"][0]["code"] == ("empty_file" if not content else "unsupported_type")
    assert body["errors"][0]["message"]
    assert get(service, "/v1/imports")["items"] == []


def test_unsupported_file_beside_a_good_one_is_rejected_with_a_record(service: Service) -> None:
    """GIVEN a PDF, a GIF and an empty file in one request
    WHEN they are uploaded
    THEN 201: the PDF is processed, the others are rejected, listed in errors and kept as records."""
    body = created(
        upload(
            service,
            [
                ("good.pdf", make_pdf(), "application/pdf"),
                ("anim.gif", make_gif(), "image/gif"),
                ("empty.png", b"", "image/png"),
            ],
        )
    )
    good, gif, empty = body["files"]
    assert good["status"] == "queued"
    assert status_of(service, good) == "processed"
    assert (gif["status"], gif["documentId"]) == ("rejected", None)
    assert (empty["status"], empty["documentId"]) == ("rejected", None)
    assert [(e["file"], e["code"]) for e in body["errors"]] == [
        ("anim.gif", "unsupported_type"),
        ("empty.png", "empty_file"),
    ]
    assert "GIF" in body["errors"][0]["message"] or "gif" in body["errors"][0]["message"]
    assert "empty" in body["errors"][1]["message"]

    record = get(service, f"/v1/ingest/files/{gif['id']}")
    assert record["status"] == "rejected"
    assert record["error"]["code"] == "unsupported_type"
    assert record["documents"] == []
    assert get(service, f"/v1/ingest/files/{empty['id']}")["size"] == 0

    imported = get(service, f"/v1/imports/{body['importId']}")
    assert imported["counts"]["processed"] == 1
    assert imported["counts"]["rejected"] == 2
    assert imported["status"] == "completed"


def test_office_files_are_rejected_not_unpacked(service: Service) -> None:
    docx = make_docx()
    body = created(
        upload(
            service,
            [("letter.docx", docx, "application/zip"), ("a.pdf", make_pdf(), "application/pdf")],
        )
    )
    office, pdf = body["files"]
    assert office["status"] == "rejected"
    assert status_of(service, pdf) == "processed"
    assert body["errors"][0]["file"] == "letter.docx"
    assert body["errors"][0]["code"] == "unsupported_type"
    assert "Word" in body["errors"][0]["message"]
    imported = get(service, f"/v1/imports/{body['importId']}")
    assert len(imported["files"]) == 2  # no children: the docx was not treated as a bundle
    assert all(f["parentFileId"] is None for f in imported["files"])
    rejected = next(f for f in imported["files"] if f["filename"] == "letter.docx")
    assert rejected["mediaType"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# -- filenames -------------------------------------------------------------------------------

UNICODE_NAME = "Rechnung_Müller_請求書.pdf"


def _disposition_name(header: str) -> str:
    assert header.startswith("attachment; filename*=UTF-8''"), header
    return header.split("UTF-8''", 1)[1]


def test_raw_utf8_filename_is_kept_and_served_back_rfc5987(service: Service) -> None:
    body = created(upload(service, [(UNICODE_NAME, make_pdf(), "application/pdf")]))
    ref = body["files"][0]
    assert ref["filename"] == UNICODE_NAME
    assert get(service, f"/v1/ingest/files/{ref['id']}")["filename"] == UNICODE_NAME
    response = service.client.get(f"/v1/ingest/files/{ref['id']}/content", headers=service.tenant.headers)
    assert _disposition_name(response.headers["content-disposition"]) == quote(UNICODE_NAME, safe="")


def test_rfc5987_filename_star_wins_over_filename(service: Service) -> None:
    pdf = make_pdf()
    content, headers = raw_multipart(
        [
            (
                f'form-data; name="files"; filename="fallback.pdf"; filename*=UTF-8\'\'{quote(UNICODE_NAME)}',
                pdf,
                "application/pdf",
            ),
            # filename* first, plain filename second: the order does not matter.
            (
                f'form-data; name="files"; filename*=UTF-8\'\'{quote("Größe.png")}; filename="Grosse.png"',
                make_png(),
                "image/png",
            ),
        ]
    )
    response = service.client.post(
        "/v1/ingest/uploads", content=content, headers={**headers, **service.tenant.headers}
    )
    body = created(response)
    assert [f["filename"] for f in body["files"]] == [UNICODE_NAME, "Größe.png"]
    file = get(service, f"/v1/ingest/files/{body['files'][0]['id']}")
    assert file["filename"] == UNICODE_NAME
    assert file["sha256"] == hashlib.sha256(pdf).hexdigest()


def test_nfd_filenames_are_stored_nfc(service: Service) -> None:
    nfd = unicodedata.normalize("NFD", "Müller_Café.pdf")
    nfc = unicodedata.normalize("NFC", nfd)
    assert nfd != nfc
    content, headers = raw_multipart(
        [(f"form-data; name=\"files\"; filename*=UTF-8''{quote(nfd)}", make_png(), "image/png")]
    )
    star = created(
        service.client.post(
            "/v1/ingest/uploads", content=content, headers={**headers, **service.tenant.headers}
        )
    )
    raw = created(upload(service, [(nfd, make_pdf(), "application/pdf")]))
    for body in (star, raw):
        ref = body["files"][0]
        assert ref["filename"] == nfc
        assert get(service, f"/v1/ingest/files/{ref['id']}")["filename"] == nfc
        response = service.client.get(f"/v1/ingest/files/{ref['id']}/content", headers=service.tenant.headers)
        assert _disposition_name(response.headers["content-disposition"]) == quote(nfc, safe="")


def test_filenames_are_labels_never_paths(service: Service) -> None:
    body = created(upload(service, [("../../etc/passwd.pdf", make_pdf(), "application/pdf")]))
    assert "/" not in body["files"][0]["filename"]
    assert status_of(service, body["files"][0]) == "processed"


# -- duplicates ------------------------------------------------------------------------------


def test_duplicates_are_flagged_and_processed_within_one_environment_only(service: Service) -> None:
    pdf = make_pdf(2, seed=7)
    first = created(upload(service, [("one.pdf", pdf, "application/pdf")]))["files"][0]
    second = created(upload(service, [("two.pdf", pdf, "application/pdf")]))["files"][0]
    assert first["status"] == second["status"] == "queued"  # never rejected as a duplicate
    assert status_of(service, first) == status_of(service, second) == "processed"
    assert first["id"] != second["id"] and first["documentId"] != second["documentId"]
    assert get(service, f"/v1/ingest/files/{first['id']}")["duplicateOf"] is None
    assert get(service, f"/v1/ingest/files/{second['id']}")["duplicateOf"] == first["id"]

    other = service.new_tenant("globex", "production")
    theirs = created(upload(service, [("one.pdf", pdf, "application/pdf")], tenant=other))["files"][0]
    assert status_of(service, theirs, tenant=other) == "processed"
    assert get(service, f"/v1/ingest/files/{theirs['id']}", tenant=other)["duplicateOf"] is None
    # ... and neither environment can see the other's file.
    response = service.client.get(f"/v1/ingest/files/{first['id']}", headers=other.headers)
    assert_problem(response, 404)
    response = service.client.get(f"/v1/ingest/files/{first['id']}/content", headers=other.headers)
    assert_problem(response, 404)


# -- size limits -----------------------------------------------------------------------------

SMALL_LIMITS = {"max_request_bytes": 200_000, "max_file_bytes": 100_000}


def _noise(size: int) -> bytes:
    """Incompressible PDF-looking bytes."""
    block = hashlib.sha256(b"seed").digest()
    return (b"%PDF-1.4\n" + block * (size // 32 + 1))[:size]


@pytest.mark.parametrize("settings_overrides", [SMALL_LIMITS])
def test_request_larger_than_max_request_bytes_is_413(service: Service) -> None:
    response = upload(service, [("big.pdf", _noise(250_000), "application/pdf")])
    body = assert_problem(response, 413)
    assert "200000" in body["detail"]
    assert get(service, "/v1/imports")["items"] == []
    assert list(service.settings.tmp_dir.iterdir()) == []  # refused before anything was spooled


@pytest.mark.parametrize("settings_overrides", [SMALL_LIMITS])
def test_chunked_request_without_content_length_over_the_limit_is_413(service: Service) -> None:
    content, headers = raw_multipart([('form-data; name="files"; filename="big.pdf"', _noise(250_000), None)])

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(content), 16_384):
            yield content[start : start + 16_384]

    response = service.client.post(
        "/v1/ingest/uploads", content=chunks(), headers={**headers, **service.tenant.headers}
    )
    assert_problem(response, 413)
    assert list(service.settings.tmp_dir.iterdir()) == []


@pytest.mark.parametrize("settings_overrides", [SMALL_LIMITS])
def test_one_file_over_max_file_bytes_is_rejected_and_its_sibling_processed(service: Service) -> None:
    body = created(
        upload(
            service,
            [("big.pdf", _noise(150_000), "application/pdf"), ("small.pdf", make_pdf(), "application/pdf")],
        )
    )
    big, small = body["files"]
    assert big["status"] == "rejected"
    assert status_of(service, small) == "processed"
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("big.pdf", "file_too_large")]
    record = get(service, f"/v1/ingest/files/{big['id']}")
    assert record["error"]["code"] == "file_too_large"
    assert list(service.settings.tmp_dir.iterdir()) == []


@pytest.mark.parametrize("settings_overrides", [SMALL_LIMITS])
def test_only_file_too_large_is_413(service: Service) -> None:
    response = upload(service, [("big.pdf", _noise(150_000), "application/pdf")])
    body = assert_problem(response, 413)
    assert body["errors"][0]["file"] == "big.pdf"
    assert body["errors"][0]["code"] == "file_too_large"


# -- /v1/ingest/document ---------------------------------------------------------------------


def test_ingest_document_takes_exactly_one_file(service: Service) -> None:
    pdf = make_pdf()
    body = created(
        upload(service, [("one.pdf", pdf, "application/pdf")], field="file", path="/v1/ingest/document")
    )
    assert len(body["files"]) == 1
    assert status_of(service, body["files"][0]) == "processed"
    assert body["files"][0]["documentId"]
    assert body["errors"] == []

    two = [("a.pdf", make_pdf(seed=1), "application/pdf"), ("b.png", make_png(), "image/png")]
    assert_problem(upload(service, two, field="file", path="/v1/ingest/document"), 400)
    content, headers = raw_multipart([('form-data; name="type"', b"invoice", None)])
    response = service.client.post(
        "/v1/ingest/document", content=content, headers={**headers, **service.tenant.headers}
    )
    assert_problem(response, 400)


# -- batches and sets ------------------------------------------------------------------------


def batch(service: Service, files: list[tuple[str, FileTuple]], data: dict[str, Any]) -> Any:
    return service.client.post("/v1/batches", files=files, data=data, headers=service.tenant.headers)


def test_batch_with_options_creates_and_extends_a_document_set(service: Service) -> None:
    """GIVEN a zip of two documents and every batch option, creating a new set
    WHEN a second batch names that set
    THEN both batches' documents are in the set, and the options are shown on the batch."""
    bundle = make_zip({"a.pdf": make_pdf(seed=1), "b.png": make_png("B")})
    options = {
        "processing_pref": "accuracy",
        "document_type": "invoice",
        "invoice_type": "b2b",
        "priority_flag": "true",
        "source_name": "erp-export",
        "create_new_set": "true",
        "set_name": "March invoices",
    }
    first = created(batch(service, [("file", ("march.zip", bundle, "application/zip"))], options))
    assert first["batchId"] == first["importId"]
    reference = first["setReferenceNumber"]
    assert reference
    assert first["errors"] == []

    view = get(service, f"/v1/batches/{first['batchId']}")
    assert view["id"] == first["importId"]
    assert view["options"] == {
        "type": "invoice",
        "processingPref": "accuracy",
        "invoiceType": "B2B",
        "priorityFlag": True,
        "sourceName": "erp-export",
        "pdfPasswordGiven": False,
    }
    assert view["setReferenceNumber"] == reference
    assert view == get(service, f"/v1/imports/{first['importId']}")
    assert [f["filename"] for f in view["files"]] == ["march.zip", "a.pdf", "b.png"]

    second = created(
        batch(
            service,
            [("files", ("c.pdf", make_pdf(seed=3), "application/pdf"))],
            {"set_reference_number": reference},
        )
    )
    assert second["setReferenceNumber"] == reference
    assert second["batchId"] == second["importId"] != first["importId"]

    in_set = get(service, f"/v1/sets/{reference}")
    assert in_set["reference"] == reference
    assert in_set["name"] == "March invoices"
    document_ids = {
        *(f["documentId"] for f in first["files"] if f["documentId"]),
        second["files"][0]["documentId"],
    }
    assert len(document_ids) == 3
    assert {d["id"] for d in in_set["items"]} == document_ids
    assert all(d["setReferenceNumber"] == reference for d in in_set["items"])

    filtered = get(service, "/v1/documents", set_reference=reference)
    assert {d["id"] for d in filtered["items"]} == document_ids
    # A document outside the set is not listed.
    created(upload(service, [("x.pdf", make_pdf(seed=9), "application/pdf")]))
    assert {d["id"] for d in get(service, "/v1/documents", set_reference=reference)["items"]} == document_ids
    assert_problem(service.client.get("/v1/sets/SET-NOPE", headers=service.tenant.headers), 404)


def test_batch_with_unknown_set_reference_is_400(service: Service) -> None:
    response = batch(
        service, [("file", ("a.pdf", make_pdf(), "application/pdf"))], {"set_reference_number": "SET-NOPE"}
    )
    assert "SET-NOPE" in assert_problem(response, 400)["detail"]
    assert get(service, "/v1/imports")["items"] == []


@pytest.mark.parametrize(
    "data",
    [
        {"invoice_type": "B2G"},
        {"priority_flag": "maybe"},
        {"create_new_set": "true", "set_reference_number": "SET-1"},
        {"document_type": "banana"},
    ],
)
def test_batch_with_invalid_options_is_400(service: Service, data: dict[str, str]) -> None:
    response = batch(service, [("file", ("a.pdf", make_pdf(), "application/pdf"))], data)
    assert_problem(response, 400)


def test_batch_of_several_files_with_unsupported_ones_answers_201_with_errors(service: Service) -> None:
    files = [
        ("files", ("a.pdf", make_pdf(), "application/pdf")),
        ("files", ("b.gif", make_gif(), "image/gif")),
        ("files", ("c.png", make_png(), "image/png")),
        ("files", ("d.txt", b"hello", "text/plain")),
    ]
    body = created(batch(service, files, {}))
    assert [f["status"] for f in body["files"]] == ["queued", "rejected", "queued", "rejected"]
    assert [status_of(service, f) for f in body["files"]] == [
        "processed",
        "rejected",
        "processed",
        "rejected",
    ]
    assert [e["file"] for e in body["errors"]] == ["b.gif", "d.txt"]
    assert body["batchId"] == body["importId"]
    assert body["setReferenceNumber"] is None
    assert_problem(batch(service, [("files", ("d.txt", b"hello", "text/plain"))], {}), 400)
    content, headers = raw_multipart([('form-data; name="source_name"', b"x", None)])
    response = service.client.post(
        "/v1/batches", content=content, headers={**headers, **service.tenant.headers}
    )
    assert_problem(response, 400)


# -- lists -----------------------------------------------------------------------------------


def test_imports_list_newest_first_with_cursor_pagination(service: Service) -> None:
    ids = [
        created(upload(service, [(f"{i}.pdf", make_pdf(seed=i), "application/pdf")]))["importId"]
        for i in range(3)
    ]
    first = get(service, "/v1/imports", limit=2)
    assert [i["id"] for i in first["items"]] == [ids[2], ids[1]]
    assert first["nextCursor"]
    assert first["items"][0]["counts"]["processed"] == 1
    assert first["items"][0]["status"] == "completed"
    assert first["items"][0]["kind"] == "upload"
    second = get(service, "/v1/imports", limit=2, cursor=first["nextCursor"])
    assert [i["id"] for i in second["items"]] == [ids[0]]
    assert second["nextCursor"] is None
    everything = get(service, "/v1/imports")
    assert [i["id"] for i in everything["items"]] == ids[::-1]
    assert everything["nextCursor"] is None
    # Another environment sees none of them.
    assert get(service, "/v1/imports", tenant=service.new_tenant("globex", "sandbox"))["items"] == []


@pytest.mark.parametrize("params", [{"cursor": "!!!"}, {"cursor": "aGVsbG8"}, {"limit": 0}, {"limit": 201}])
def test_bad_list_parameters_are_400(service: Service, params: dict[str, Any]) -> None:
    created(upload(service, [("a.pdf", make_pdf(), "application/pdf")]))
    for path in ("/v1/imports", "/v1/documents"):
        response = service.client.get(path, params=params, headers=service.tenant.headers)
        assert_problem(response, 400)


def test_documents_list_filters_by_import_status_and_type(service: Service) -> None:
    invoices = created(
        upload(
            service,
            [("inv.pdf", make_pdf(), "application/pdf"), ("bad.pdf", b"%PDF-1.4 garbage", "application/pdf")],
            {"type": "invoice"},
        )
    )
    other = created(upload(service, [("r.png", make_png(), "image/png")], {"type": "receipt"}))
    good_id, bad_id = (f["documentId"] for f in invoices["files"])
    receipt_id = other["files"][0]["documentId"]

    def ids(**params: Any) -> list[str]:
        return [d["id"] for d in get(service, "/v1/documents", **params)["items"]]

    assert sorted(ids(import_id=invoices["importId"])) == sorted([good_id, bad_id])
    assert ids(import_id=other["importId"]) == [receipt_id]
    assert ids(status="failed") == [bad_id]
    assert sorted(ids(status="processed")) == sorted([good_id, receipt_id])
    assert ids(type="receipt") == [receipt_id]
    assert ids(type="invoice", status="processed") == [good_id]
    assert ids() == [receipt_id, *sorted([good_id, bad_id], reverse=True)]
    page = get(service, "/v1/documents", limit=1)
    assert len(page["items"]) == 1 and page["nextCursor"]
    assert_problem(service.client.get("/v1/documents?status=done", headers=service.tenant.headers), 400)
    assert_problem(
        service.client.get("/v1/documents?review_status=maybe", headers=service.tenant.headers), 400
    )


# -- reprocess and cancel --------------------------------------------------------------------


def test_reprocess_keeps_the_document_id_and_refuses_rejected_files(service: Service) -> None:
    body = created(
        upload(
            service,
            [("a.pdf", make_pdf(2), "application/pdf"), ("b.gif", make_gif(), "image/gif")],
        )
    )
    good, gif = body["files"]
    response = service.client.post(f"/v1/ingest/files/{good['id']}/reprocess", headers=service.tenant.headers)
    assert response.status_code == 202, response.text
    file = get(service, f"/v1/ingest/files/{good['id']}")
    assert file["status"] == "processed"
    assert [d["id"] for d in file["documents"]] == [good["documentId"]]
    document = get(service, f"/v1/documents/{good['documentId']}")
    assert document["status"] == "processed"
    assert document["pages"] == {"start": 1, "end": 2}
    assert len(get(service, "/v1/documents", import_id=body["importId"])["items"]) == 1

    response = service.client.post(f"/v1/ingest/files/{gif['id']}/reprocess", headers=service.tenant.headers)
    assert_problem(response, 409)
    response = service.client.post("/v1/ingest/files/nope/reprocess", headers=service.tenant.headers)
    assert_problem(response, 404)


def test_reprocess_of_a_failed_file_runs_it_again(service: Service) -> None:
    body = created(upload(service, [("bad.pdf", b"%PDF-1.4 garbage", "application/pdf")]))
    ref = body["files"][0]
    assert status_of(service, ref) == "failed"
    response = service.client.post(f"/v1/ingest/files/{ref['id']}/reprocess", headers=service.tenant.headers)
    assert response.status_code == 202, response.text
    file = get(service, f"/v1/ingest/files/{ref['id']}")
    assert (file["status"], file["error"]["code"]) == ("failed", "pdf_unreadable")
    assert [d["id"] for d in file["documents"]] == [ref["documentId"]]


@pytest.fixture
def queued_service(tmp_path: Path) -> Iterator[Service]:
    """Like ``service``, but tasks go to a Huey queue nobody consumes: files stay queued."""
    settings = build_settings(tmp_path / "queued")
    settings.data_dir.mkdir(parents=True)
    upgrade(settings.resolved_database_url)
    container = Container.from_settings(settings, queue=HueyQueue(settings))
    app = create_app(settings, container)
    with TestClient(app) as client:
        svc = Service(client, container, settings, Tenant("", ""))
        svc.tenant = svc.new_tenant("acme", "production")
        yield svc
    container.close()


def test_cancel_fails_every_file_not_yet_processed(queued_service: Service) -> None:
    service = queued_service
    body = created(
        upload(
            service,
            [
                ("a.pdf", make_pdf(), "application/pdf"),
                ("b.png", make_png(), "image/png"),
                ("c.gif", make_gif(), "image/gif"),
                ("d.zip", make_zip({"e.pdf": make_pdf(seed=5)}), "application/zip"),
            ],
        )
    )
    assert [f["status"] for f in body["files"]] == ["queued", "queued", "rejected", "processed", "queued"]
    before = get(service, f"/v1/imports/{body['importId']}")
    assert before["status"] == "processing"
    assert before["counts"]["queued"] == 3

    response = service.client.post(f"/v1/imports/{body['importId']}/cancel", headers=service.tenant.headers)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["status"] == "cancelled"
    assert after["cancelledAt"].endswith("Z")
    assert after["counts"] == {"queued": 0, "processing": 0, "processed": 1, "failed": 3, "rejected": 1}
    by_name = {f["filename"]: f for f in after["files"]}
    for name in ("a.pdf", "b.png", "e.pdf"):
        assert by_name[name]["status"] == "failed"
        assert by_name[name]["error"]["code"] == "cancelled"
        document = get(service, f"/v1/documents/{by_name[name]['documents'][0]['id']}")
        assert document["status"] == "failed"
        assert document["error"]["code"] == "cancelled"
    assert by_name["c.gif"]["status"] == "rejected"
    assert by_name["d.zip"]["status"] == "processed"
    assert get(service, f"/v1/imports/{body['importId']}") == after
    assert get(service, "/v1/imports")["items"][0]["status"] == "cancelled"
    # Cancelling again changes nothing; another environment cannot cancel it.
    again = service.client.post(f"/v1/imports/{body['importId']}/cancel", headers=service.tenant.headers)
    assert again.json()["counts"] == after["counts"]
    other = service.new_tenant("globex", "production")
    response = service.client.post(f"/v1/imports/{body['importId']}/cancel", headers=other.headers)
    assert_problem(response, 404)
    # One event per file the cancel made final, and the import completed once, not twice.
    with service.container.db.session() as session:
        events = session.execute(
            select(Event.type, Event.file_id).where(Event.import_id == body["importId"])
        ).all()
    cancelled = {by_name[name]["id"] for name in ("a.pdf", "b.png", "e.pdf")}
    assert {file_id for kind, file_id in events if kind == "file.failed"} == cancelled
    assert sum(1 for kind, _ in events if kind == "file.failed") == 3
    assert [kind for kind, _ in events].count("import.completed") == 1


# -- files the pipeline cannot read ----------------------------------------------------------


def test_encrypted_pdf_fails_without_password_and_is_processed_with_it(service: Service) -> None:
    encrypted = make_encrypted_pdf("s3cret-pw", pages=2)
    without = created(upload(service, [("locked.pdf", encrypted, "application/pdf")]))["files"][0]
    file = get(service, f"/v1/ingest/files/{without['id']}")
    assert (file["status"], file["error"]["code"]) == ("failed", "pdf_encrypted")
    assert get(service, f"/v1/documents/{without['documentId']}")["status"] == "failed"

    wrong = created(upload(service, [("locked.pdf", encrypted, "application/pdf")], {"password": "nope"}))[
        "files"
    ][0]
    assert get(service, f"/v1/ingest/files/{wrong['id']}")["error"]["code"] == "pdf_wrong_password"

    response = upload(service, [("locked.pdf", encrypted, "application/pdf")], {"password": "s3cret-pw"})
    right = created(response)
    assert "s3cret-pw" not in response.text
    file = get(service, f"/v1/ingest/files/{right['files'][0]['id']}")
    assert (file["status"], file["pages"]) == ("processed", 2)
    imported = service.client.get(f"/v1/imports/{right['importId']}", headers=service.tenant.headers)
    assert imported.json()["options"]["pdfPasswordGiven"] is True
    assert "s3cret-pw" not in imported.text


def zero_page_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty."""
    return serialize([b"<< /Type /Pages /Kids [] /Count 0 >>", b"<< /Type /Catalog /Pages 1 0 R >>"], 2)


def test_unreadable_files_fail_with_a_code_and_the_service_keeps_working(service: Service) -> None:
    png = make_png()
    body = created(
        upload(
            service,
            [
                ("bad.pdf", b"%PDF-1.4 garbage", "application/pdf"),
                ("cut.png", png[: len(png) // 2], "image/png"),
                ("none.pdf", zero_page_pdf(), "application/pdf"),
                ("ok.pdf", make_pdf(), "application/pdf"),
                ("empty.pdf", b"", "application/pdf"),
            ],
        )
    )
    bad, cut, none, ok, empty = body["files"]
    # An empty upload is refused at once, named, with its reason; the rest fail in processing
    # (PDFium refuses a PDF with an empty page tree as malformed).
    assert empty["status"] == "rejected"
    assert [(e["file"], e["code"]) for e in body["errors"]] == [("empty.pdf", "empty_file")]
    for ref, code in ((bad, "pdf_unreadable"), (cut, "image_unreadable"), (none, "pdf_unreadable")):
        file = get(service, f"/v1/ingest/files/{ref['id']}")
        assert (file["status"], file["error"]["code"]) == ("failed", code)
        assert file["error"]["message"]
        document = get(service, f"/v1/documents/{ref['documentId']}")
        assert document["status"] == "failed"
        assert document["error"]["code"] == code
    assert get(service, f"/v1/ingest/files/{ok['id']}")["status"] == "processed"
    imported = get(service, f"/v1/imports/{body['importId']}")
    assert (imported["counts"]["failed"], imported["counts"]["processed"]) == (3, 1)
    after = created(upload(service, [("after.png", make_png("after"), "image/png")]))
    assert status_of(service, after["files"][0]) == "processed"


# -- usage -----------------------------------------------------------------------------------


def test_usage_counts_files_and_pages_of_this_environment_only(service: Service) -> None:
    created(
        upload(
            service,
            [
                ("a.pdf", make_pdf(2), "application/pdf"),
                ("t.tiff", make_tiff(3), "image/tiff"),
                ("x.gif", make_gif(), "image/gif"),  # rejected: not counted
                ("bad.pdf", b"%PDF-1.4 garbage", "application/pdf"),  # ingested, never processed
            ],
        )
    )
    other = service.new_tenant("globex", "production")
    created(upload(service, [("o.pdf", make_pdf(4), "application/pdf")], tenant=other))

    usage = get(service, "/v1/usage")
    assert usage["environmentId"] == service.tenant.environment_id
    totals = {
        key: sum(day[key] for day in usage["items"])
        for key in ("filesIngested", "pagesIngested", "filesProcessed", "pagesProcessed")
    }
    assert totals == {"filesIngested": 3, "pagesIngested": 5, "filesProcessed": 2, "pagesProcessed": 5}
    assert all(len(day["date"]) == 10 for day in usage["items"])

    theirs = get(service, "/v1/usage", tenant=other)
    assert sum(day["filesProcessed"] for day in theirs["items"]) == 1
    assert sum(day["pagesProcessed"] for day in theirs["items"]) == 4
    assert_problem(
        service.client.get("/v1/usage?from=2024-02-01&to=2024-01-01", headers=service.tenant.headers), 400
    )
    assert get(service, "/v1/usage", **{"from": "2020-01-01", "to": "2020-01-31"})["items"] == []


def test_zip_sniffing_does_not_trust_the_extension(service: Service) -> None:
    """A real zip named .pdf is a bundle; a PDF named .zip is a PDF."""
    body = created(
        upload(
            service,
            [
                ("really-a-zip.pdf", make_zip({"in.png": make_png("Z")}), "application/pdf"),
                ("really-a-pdf.zip", make_pdf(seed=4), "application/zip"),
            ],
        )
    )
    container, child, pdf = body["files"]
    assert (container["status"], container["documentId"]) == ("processed", None)
    assert child["filename"] == "in.png" and status_of(service, child) == "processed"
    assert get(service, f"/v1/ingest/files/{child['id']}")["parentFileId"] == container["id"]
    assert get(service, f"/v1/ingest/files/{pdf['id']}")["mediaType"] == "application/pdf"


def test_zip_member_bytes_are_served_back(service: Service) -> None:
    pdf = make_pdf(seed=11)
    body = created(upload(service, [("z.zip", make_zip({"doc.pdf": pdf}), "application/zip")]))
    child = body["files"][1]
    response = service.client.get(f"/v1/ingest/files/{child['id']}/content", headers=service.tenant.headers)
    assert response.content == pdf


def test_uploaded_zip_with_office_file_inside_rejects_only_that_entry(service: Service) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("a.pdf", make_pdf())
        archive.writestr("letter.docx", make_docx())
    body = created(upload(service, [("bundle.zip", inner.getvalue(), "application/zip")]))
    assert [(f["filename"], status_of(service, f)) for f in body["files"]] == [
        ("bundle.zip", "processed"),
        ("a.pdf", "processed"),
        ("letter.docx", "rejected"),
    ]
    assert [e["file"] for e in body["errors"]] == ["letter.docx"]
