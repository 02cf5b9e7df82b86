"""Words of every page: from the PDF text layer when there is one, else by OCR, upright first."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from tests.conftest import Service, make_pdf, make_scanned_pdf

LINES = [
    "INVOICE No 2024-0017",
    "ACME Supplies Ltd",
    "12 Market Street, Springfield",
    "Date 2024-03-15",
    "Widget large 2 x 9.99 19.98",
    "Gadget small 1 x 5.00 5.00",
    "Delivery 1 x 4.50 4.50",
    "Subtotal 29.48",
    "VAT 20% 5.90",
    "TOTAL 35.38 EUR",
    "Payment due within 30 days",
    "Thank you for your business",
]


def _font(size: int = 34) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def scanned_page(rotate: int = 0) -> bytes:
    """A white page with a dozen lines of text, turned ``rotate`` degrees counter-clockwise."""
    image = Image.new("L", (1240, 1000), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(LINES):
        draw.text((60, 50 + index * 75), line, font=_font(), fill=0)
    if rotate:
        image = image.rotate(rotate, expand=True, fillcolor=255)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _upload_one(service: Service, name: str, data: bytes, media: str) -> dict[str, Any]:
    answer = service.client.post(
        "/v1/ingest/uploads", files=[("files", (name, data, media))], headers=service.tenant.headers
    )
    assert answer.status_code == 201, answer.text
    ref: dict[str, Any] = answer.json()["files"][0]
    return ref


def _ocr(service: Service, document_id: str) -> dict[str, Any]:
    response = service.client.get(f"/v1/documents/{document_id}/ocr", headers=service.tenant.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _text(page: dict[str, Any]) -> str:
    return " ".join(word["text"] for word in page["words"])


def test_pdf_text_layer_words_with_boxes(service: Service) -> None:
    ref = _upload_one(service, "invoice.pdf", make_pdf(2, seed=17), "application/pdf")
    body = _ocr(service, ref["documentId"])
    assert [p["number"] for p in body["pages"]] == [1, 2]
    first = body["pages"][0]
    assert first["source"] == "text_layer" and first["engine"] is None
    assert _text(first).startswith("INVOICE No 2024-0017")
    invoice, number = first["words"][0], first["words"][2]
    assert invoice["confidence"] == 1.0
    x0, y0, x1, y1 = invoice["box"]
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1
    assert y1 < 0.15, "the first line sits at the top of the page"
    assert invoice["box"][2] < number["box"][0], "words of a line read left to right"


def test_scanned_image_is_read_by_ocr(service: Service) -> None:
    ref = _upload_one(service, "scan.png", scanned_page(), "image/png")
    (page,) = _ocr(service, ref["documentId"])["pages"]
    assert page["source"] == "ocr"
    assert page["engine"].startswith("tesseract")
    assert page["rotation"] == 0
    text = _text(page)
    assert "INVOICE No 2024-0017" in text and "TOTAL 35.38 EUR" in text
    assert all(0 <= w["confidence"] <= 1 for w in page["words"])


def test_sideways_scan_is_turned_upright_before_ocr(service: Service) -> None:
    """GIVEN a page photographed sideways WHEN processed THEN it is read upright and says so."""
    ref = _upload_one(service, "sideways.png", scanned_page(rotate=90), "image/png")
    (page,) = _ocr(service, ref["documentId"])["pages"]
    assert page["rotation"] in (90, 270)
    assert "TOTAL 35.38 EUR" in _text(page)
    assert page["width"] > page["height"], "the stored size is the upright page's"


def test_pdf_without_text_layer_is_rendered_and_ocred(service: Service) -> None:
    ref = _upload_one(service, "blank-scan.pdf", make_scanned_pdf(1), "application/pdf")
    (page,) = _ocr(service, ref["documentId"])["pages"]
    assert page["source"] == "ocr"
    assert page["words"] == []


def test_reprocess_replaces_the_words_and_other_tenants_see_none(service: Service) -> None:
    ref = _upload_one(service, "invoice.pdf", make_pdf(1), "application/pdf")
    before = _ocr(service, ref["documentId"])
    again = service.client.post(f"/v1/ingest/files/{ref['id']}/reprocess", headers=service.tenant.headers)
    assert again.status_code == 202
    assert _ocr(service, ref["documentId"]) == before
    stranger = service.new_tenant("other", "production")
    hidden = service.client.get(f"/v1/documents/{ref['documentId']}/ocr", headers=stranger.headers)
    assert hidden.status_code == 404
