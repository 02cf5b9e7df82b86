"""The PDF text layer: words, boxes on the displayed page, the usability test, rendering.

pypdfium2 cannot write text and reportlab is not a dependency, so the PDFs are written by hand
(``_pdf``): Helvetica text placed with ``BT /F1 12 Tf x y Td (text) Tj ET``, which every PDF
reader can show, and a Type0 font without a ToUnicode map for the garbage case.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image

from docintake.pipeline.model import Box, Word
from docintake.pipeline.pdftext import (
    image_coverage,
    render_page,
    text_layer_is_usable,
    text_layer_words,
)
from tests.pdfgen import serialize

A4 = (595, 842)
_FONTS = {
    "F1": "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    # Identity-H without ToUnicode: the codes are glyph ids, PDFium cannot map them to Unicode.
    "F2": "<< /Type /Font /Subtype /Type0 /BaseFont /ABCDEF+Subset /Encoding /Identity-H "
    "/DescendantFonts [<< /Type /Font /Subtype /CIDFontType2 /BaseFont /ABCDEF+Subset "
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 600 "
    "/FontDescriptor << /Type /FontDescriptor /FontName /ABCDEF+Subset /Flags 4 "
    "/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 "
    "/StemV 80 >> >>] >>",
}


@dataclass(frozen=True)
class _Page:
    content: str  # a content stream
    size: tuple[float, float] = A4
    rotate: int = 0
    cropbox: tuple[float, float, float, float] | None = None


def _pdf(*pages: _Page) -> bytes:
    """A minimal valid PDF. In content streams, ``/F1`` is Helvetica, ``/F2`` a font without a
    Unicode map, ``/Im1 Do`` draws a 1x1 grey image (stretched by the CTM), and ``/Fm1 Do`` a form
    XObject that draws that image over the whole (A4) page."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    fonts = " ".join(f"/{name} {add(body.encode())} 0 R" for name, body in _FONTS.items())
    image = add(
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length 1 >>\nstream\n\x80\nendstream"
    )
    form_content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    form = add(
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /XObject << /Im1 %d 0 R >> >> "
        b"/Length %d >>\nstream\n%s\nendstream" % (image, len(form_content), form_content)
    )
    parent = add(b"")  # filled in below, once the kids are known
    kids = []
    for page in pages:
        data = page.content.encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
        width, height = page.size
        extra = f" /Rotate {page.rotate}"
        if page.cropbox:
            extra += " /CropBox [{}]".format(" ".join(map(str, page.cropbox)))
        resources = f"<< /Font << {fonts} >> /XObject << /Im1 {image} 0 R /Fm1 {form} 0 R >> >>"
        kids.append(
            add(
                f"<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 {width} {height}]{extra} "
                f"/Resources {resources} /Contents {content} 0 R >>".encode()
            )
        )
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    objects[parent - 1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    catalog = add(f"<< /Type /Catalog /Pages {parent} 0 R >>".encode())
    return serialize(objects, catalog)


def _text(x: float, y: float, text: str, size: int = 12, font: str = "F1") -> str:
    return f"BT /{font} {size} Tf {x} {y} Td ({text}) Tj ET\n"


@contextmanager
def _page(content: str, **options: Any) -> Iterator[pdfium.PdfPage]:
    document = pdfium.PdfDocument(_pdf(_Page(content, **options)))
    try:
        yield document[0]
    finally:
        document.close()


INVOICE = (
    _text(72, 770, "Invoice No 2024-0017")
    # a table row placed by position only: no space characters between the columns
    + _text(320, 700, "19.98")  # drawn first: reading order must not follow the content stream
    + _text(72, 700, "Widget")
    + _text(200, 700, "2")
    + _text(260, 700, "9.99")
    + _text(72, 650, "Total 19.98 EUR")
)


def _by_text(words: list[Word]) -> dict[str, Box]:
    return {word.text: word.box for word in words}


def test_words_come_in_reading_order_with_page_relative_boxes() -> None:
    with _page(content=INVOICE) as page:
        words = text_layer_words(page)
    assert [w.text for w in words] == [
        "Invoice",
        "No",
        "2024-0017",
        "Widget",
        "2",
        "9.99",
        "19.98",
        "Total",
        "19.98",
        "EUR",
    ]
    assert all(w.confidence == 1.0 for w in words)
    for word in words:
        box = word.box
        assert 0.0 <= box.x0 < box.x1 <= 1.0 and 0.0 <= box.y0 < box.y1 <= 1.0
    # "Invoice" drawn at x=72pt, baseline 770pt of 842pt (from the bottom), 12pt high.
    invoice = words[0].box
    assert invoice.x0 == pytest.approx(72 / 595, abs=0.002)
    assert invoice.y0 < (842 - 770) / 842 < invoice.y1
    assert invoice.y1 - invoice.y0 == pytest.approx(14 / 842, rel=0.25)  # font ascent to descent
    row = words[3:7]
    assert [w.box.x0 for w in row] == sorted(w.box.x0 for w in row)
    assert len({round(w.box.y0, 4) for w in row}) == 1  # one line
    assert words[0].box.y1 < row[0].box.y0 < row[0].box.y1 < words[7].box.y0  # lines top to bottom


def test_table_columns_drawn_without_spaces_are_separate_words() -> None:
    # One text object, columns reached by moving the text position or by TJ kerning.
    content = (
        "BT /F1 12 Tf 72 700 Td (Widget) Tj 128 0 Td (2) Tj 60 0 Td (9.99) Tj 60 0 Td (19.98) Tj ET\n"
        "BT /F1 12 Tf 72 600 Td [(Widget) -10000 (2) -4000 (9.99) -3000 (19.98)] TJ ET\n"
        "BT /F1 12 Tf 72 500 Td [(Wid) 30 (get)] TJ ET\n"  # kerning inside a word keeps it whole
    )
    with _page(content=content) as page:
        words = [w.text for w in text_layer_words(page)]
    assert words == ["Widget", "2", "9.99", "19.98"] * 2 + ["Widget"]


def test_crop_box_is_the_visible_page() -> None:
    content = _text(100, 700, "Inside") + _text(100, 20, "Outside")
    with _page(content=content, cropbox=(50, 100, 545, 800)) as page:
        words = text_layer_words(page)
    assert [w.text for w in words] == ["Inside"]
    assert words[0].box.x0 == pytest.approx((100 - 50) / 495, abs=0.002)
    assert words[0].box.y0 < (800 - 700) / 700 < words[0].box.y1


def _ink_share(image: Image.Image, box: Box) -> float:
    """Share of dark pixels of a grayscale image inside ``box``."""
    crop = image.crop(
        (
            int(box.x0 * image.width),
            int(box.y0 * image.height),
            int(box.x1 * image.width) + 1,
            int(box.y1 * image.height) + 1,
        )
    )
    histogram = crop.histogram()
    return sum(histogram[:128]) / max(crop.width * crop.height, 1)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_page_boxes_match_the_rendered_image(rotation: int) -> None:
    content = _text(72, 770, "TopLeftCorner", size=20) + _text(300, 100, "Elsewhere", size=20)
    with _page(content=content, rotate=rotation) as page:
        words = text_layer_words(page)
        image = render_page(page, dpi=72)
    assert image.size == ((842, 595) if rotation in (90, 270) else (595, 842))
    boxes = _by_text(words)
    first = boxes["TopLeftCorner"]
    if rotation == 180:
        assert first.x1 - first.x0 > first.y1 - first.y0  # still horizontal, upside down
        assert first.x0 > 0.5 and first.y0 > 0.5
    else:
        assert first.y1 - first.y0 > first.x1 - first.x0  # the line runs vertically now
    for box in boxes.values():
        assert _ink_share(image, box) > 0.1, "the word's box covers its ink"
        # the same box moved away is blank paper
        moved = Box(box.x0, (box.y0 + 0.3) % 0.7, box.x1, (box.y0 + 0.3) % 0.7 + (box.y1 - box.y0))
        assert _ink_share(image, moved) < 0.02


def test_a_normal_text_page_is_usable() -> None:
    with _page(content=INVOICE) as page:
        assert text_layer_is_usable(text_layer_words(page), image_coverage(page))


def test_a_page_without_text_is_not_usable() -> None:
    with _page(content="0 0 1 rg 100 100 200 200 re f\n") as page:
        words = text_layer_words(page)
        assert words == []
        assert not text_layer_is_usable(words, image_coverage(page))


def test_glyphs_without_unicode_mapping_are_not_usable() -> None:
    # Glyph ids 0x2B 0x48 0x4F 0x4F 0x52 are "Hello" in a typical TrueType subset: PDFium passes the
    # codes through as "+HOOR"-like text and flags them; we turn them into U+FFFD.
    line = "<002B0048004F004F0052> Tj 60 0 Td <003A0052 00550047> Tj"
    content = "".join(f"BT /F2 12 Tf 72 {700 - 20 * i} Td {line} ET\n" for i in range(5))
    with _page(content=content) as page:
        words = text_layer_words(page)
    assert len(words) == 10
    assert all(set(w.text) == {"\ufffd"} for w in words)
    assert not text_layer_is_usable(words)


def _words(*texts: str) -> list[Word]:
    return [Word(text, Box(0.1 * i, 0.1, 0.1 * i + 0.05, 0.12), 1.0) for i, text in enumerate(texts)]


def test_usability_rules() -> None:
    assert text_layer_is_usable(_words("Invoice", "2024-0017", "Total", "12.50"))
    assert not text_layer_is_usable(_words("1", "Invoice", "-", "2"))  # a page number and a title
    private_use = "".join(chr(0xE000 + i) for i in range(6))
    assert not text_layer_is_usable(_words("Invoice", "Total", "Amount", private_use, private_use))
    assert text_layer_is_usable(_words("Rechnung", "Gesamtbetrag", "1.234,56", "€", "\x7f"))  # 1 bad char
    # A scan (mostly image) with a stamp of text on it: the content is in the image.
    stamp = _words("Received", "2024-03-01", "Accounts", "Payable")
    assert text_layer_is_usable(stamp, image_coverage=0.2)
    assert not text_layer_is_usable(stamp, image_coverage=0.9)
    assert text_layer_is_usable(stamp * 10, image_coverage=0.9)  # a scan with a full OCR layer


def test_image_coverage() -> None:
    scan = "q 595 0 0 842 0 0 cm /Im1 Do Q\n" + _text(400, 20, "Scanned by Office 2")
    with _page(content=scan) as page:
        assert image_coverage(page) == pytest.approx(1.0)
        words = text_layer_words(page)
        assert not text_layer_is_usable(words, image_coverage(page))
    with _page(content="q 0.5 0 0 0.5 100 0 cm /Fm1 Do Q\n") as page:  # the image inside a form
        assert image_coverage(page) == pytest.approx(0.25)
    logo = "q 100 0 0 50 72 760 cm /Im1 Do Q\n" + INVOICE
    with _page(content=logo) as page:
        assert image_coverage(page) == pytest.approx(100 * 50 / (595 * 842))


def test_render_page_is_grayscale_at_the_requested_dpi() -> None:
    with _page(content=INVOICE) as page:
        image = render_page(page)
    assert image.mode == "L"
    assert image.size == (2480, 3509)  # A4 at 300 dpi, PDFium rounds up
    assert image.getextrema() == (0, 255)


@pytest.mark.parametrize(("size", "max_pixels"), [((2384, 3370), 12_000_000), (A4, 1_000_000), (A4, 12345)])
def test_render_page_scales_down_to_max_pixels(size: tuple[int, int], max_pixels: int) -> None:
    with _page(content=_text(72, 72, "A0 poster"), size=size) as page:
        image = render_page(page, dpi=300, max_pixels=max_pixels)
    assert image.width * image.height <= max_pixels
    assert image.width * image.height > 0.97 * max_pixels  # not much smaller than allowed
    assert image.width / image.height == pytest.approx(size[0] / size[1], rel=0.02)


def _dense_page() -> str:
    """60 invoice lines of ~75 characters: item number, description, quantity, prices."""
    rng = random.Random(3)
    lines = []
    for i in range(60):
        y = 800 - i * 12.5
        lines.append(
            _text(40, y, f"{rng.randint(1000, 9999)} Item description number {i} with extra words here", 9)
            + _text(330, y, str(rng.randint(1, 99)), 9)
            + _text(380, y, f"{rng.randint(1, 999)}.{rng.randint(10, 99)}", 9)
            + _text(450, y, f"{rng.randint(1, 9999)}.{rng.randint(10, 99)}", 9)
            + _text(510, y, "EUR", 9)
        )
    return "".join(lines)


def test_dense_page_is_read_whole() -> None:
    """Speed is measured by benchmarks/speed.py, not here; this checks the dense page's words."""
    with _page(content=_dense_page()) as page:
        words = text_layer_words(page)
    assert len(words) == 60 * 13
    assert [w.text for w in words[:3]] == [words[0].text, "Item", "description"]
