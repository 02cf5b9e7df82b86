"""GET /v1/documents/{id}/pages/{n}.png: a page of the document as a PNG image."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from docintake.storage.models import Document
from tests.conftest import Service, make_pdf, make_png, make_tiff

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
A4_POINTS = (595, 842)


def _upload(service: Service, name: str, data: bytes, media: str) -> dict[str, Any]:
    answer = service.client.post(
        "/v1/ingest/uploads", files=[("files", (name, data, media))], headers=service.tenant.headers
    )
    assert answer.status_code == 201, answer.text
    ref: dict[str, Any] = answer.json()["files"][0]
    return ref


def _page(service: Service, document_id: str, number: int, **params: object) -> Image.Image:
    response = service.client.get(
        f"/v1/documents/{document_id}/pages/{number}.png", params=params, headers=service.tenant.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def _expected(dpi: int) -> tuple[int, int]:
    return round(A4_POINTS[0] * dpi / 72), round(A4_POINTS[1] * dpi / 72)


def _close(size: tuple[int, int], expected: tuple[int, int]) -> bool:
    return all(abs(a - b) <= 1 for a, b in zip(size, expected, strict=True))


def test_pdf_page_is_rendered_at_150_dpi_by_default(service: Service) -> None:
    ref = _upload(service, "invoice.pdf", make_pdf(2), "application/pdf")
    image = _page(service, ref["documentId"], 1)
    assert image.format == "PNG"
    assert _close(image.size, _expected(150)), image.size
    # dark text on white paper: the page is really drawn, not a blank bitmap
    low, high = image.convert("L").getextrema()
    assert low < 100 and high == 255


def test_dpi_changes_the_size(service: Service) -> None:
    ref = _upload(service, "invoice.pdf", make_pdf(1), "application/pdf")
    small = _page(service, ref["documentId"], 1, dpi=72)
    large = _page(service, ref["documentId"], 1, dpi=300)
    assert _close(small.size, A4_POINTS), small.size
    assert _close(large.size, _expected(300)), large.size
    for dpi in (49, 301):
        refused = service.client.get(
            f"/v1/documents/{ref['documentId']}/pages/1.png",
            params={"dpi": dpi},
            headers=service.tenant.headers,
        )
        assert refused.status_code == 400, refused.text
        assert refused.headers["content-type"] == "application/problem+json"


def test_image_page_keeps_its_size(service: Service) -> None:
    ref = _upload(service, "scan.png", make_png(size=(400, 200)), "image/png")
    image = _page(service, ref["documentId"], 1)
    assert image.size == (400, 200)


def test_photo_is_served_upright_with_exif_orientation_applied(service: Service) -> None:
    photo = Image.new("RGB", (400, 200), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; rotate 90 degrees clockwise to view
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", exif=exif)
    ref = _upload(service, "photo.jpg", buffer.getvalue(), "image/jpeg")
    assert _page(service, ref["documentId"], 1).size == (200, 400)


def test_tiff_pages_are_its_frames(service: Service) -> None:
    ref = _upload(service, "scan.tiff", make_tiff(2), "image/tiff")
    first = _page(service, ref["documentId"], 1)
    second = _page(service, ref["documentId"], 2)
    assert first.size == second.size == (300, 400)
    assert first.getpixel((10, 10)) == 255 and second.getpixel((10, 10)) == 235


def test_pages_count_from_the_start_of_the_document(service: Service) -> None:
    """A document that starts on page 2 of its file shows the file's page 2 as its page 1."""
    ref = _upload(service, "two.pdf", make_pdf(2), "application/pdf")
    second = service.client.get(
        f"/v1/documents/{ref['documentId']}/pages/2.png", headers=service.tenant.headers
    )
    assert second.status_code == 200
    with service.container.db.session() as session:
        document = session.get(Document, ref["documentId"])
        assert document is not None
        document.page_start = document.page_end = 2
    first = service.client.get(
        f"/v1/documents/{ref['documentId']}/pages/1.png", headers=service.tenant.headers
    )
    assert first.status_code == 200
    assert first.content == second.content
    beyond = service.client.get(
        f"/v1/documents/{ref['documentId']}/pages/2.png", headers=service.tenant.headers
    )
    assert beyond.status_code == 404


def test_page_outside_the_document_is_404(service: Service) -> None:
    ref = _upload(service, "invoice.pdf", make_pdf(2), "application/pdf")
    for number in (0, 3):
        response = service.client.get(
            f"/v1/documents/{ref['documentId']}/pages/{number}.png", headers=service.tenant.headers
        )
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "not_found"
    unknown = service.client.get("/v1/documents/nope/pages/1.png", headers=service.tenant.headers)
    assert unknown.status_code == 404


def test_another_tenants_document_is_404(service: Service) -> None:
    ref = _upload(service, "invoice.pdf", make_pdf(1), "application/pdf")
    stranger = service.new_tenant("other", "production")
    hidden = service.client.get(f"/v1/documents/{ref['documentId']}/pages/1.png", headers=stranger.headers)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    unauthenticated = service.client.get(f"/v1/documents/{ref['documentId']}/pages/1.png")
    assert unauthenticated.status_code == 401


def test_failed_file_is_409(service: Service) -> None:
    ref = _upload(service, "broken.pdf", b"%PDF-1.4\nnot really a pdf\n", "application/pdf")
    document = service.client.get(f"/v1/documents/{ref['documentId']}", headers=service.tenant.headers)
    assert document.json()["status"] == "failed"
    response = service.client.get(
        f"/v1/documents/{ref['documentId']}/pages/1.png", headers=service.tenant.headers
    )
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "conflict"
