"""Turn a SyntheticDocument into PDF bytes, scanned-looking images, or a multi-document PDF.

The render seed is separate from the content seed: the same document can be drawn in several
layouts, and one layout with different content, which is what keeps a model from tying a field
to a position. Images are rasterised from the PDF with pdfium (the engine the service itself
uses) and then degraded like a scan: grey, slightly blurred, noisy, skewed, possibly rotated.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageEnhance, ImageFilter

from training.synthetic.content import SyntheticDocument, seeded
from training.synthetic.draw import pick_style
from training.synthetic.families import FAMILIES
from training.synthetic.till import render_till, till_style

FAMILY_WEIGHTS = {"classic": 4, "modern": 3, "compact": 3, "letterhead": 3}


def layout_family(doc: SyntheticDocument, seed: int) -> str:
    """The layout family ``render_pdf`` uses for this document and seed."""
    return _family(doc, seeded("render", seed))


def _family(doc: SyntheticDocument, rng: random.Random) -> str:
    if doc.doc_type == "receipt":
        return "till" if rng.random() < 0.85 else rng.choice(("classic", "compact"))
    return rng.choices(list(FAMILY_WEIGHTS), weights=list(FAMILY_WEIGHTS.values()))[0]


def render_pdf(doc: SyntheticDocument, seed: int) -> bytes:
    """A PDF with a text layer; the same document and seed always give the same bytes."""
    rng = seeded("render", seed)
    family = _family(doc, rng)
    if family == "till":
        return render_till(doc, till_style(rng), rng)
    letter = rng.random() < (0.9 if doc.country == "US" else 0.03)
    style = pick_style(rng, family, letter=letter)
    return FAMILIES[family](doc, style, rng).render()


def page_count(pdf: bytes) -> int:
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def pdf_text(pdf: bytes) -> str:
    """All pages' text layer as pdfium reads it (what the service's text extraction sees)."""
    document = pdfium.PdfDocument(pdf)
    try:
        parts = []
        for page in document:
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(parts)
    finally:
        document.close()


def render_pages(doc: SyntheticDocument, seed: int, *, dpi: int = 150, noise: bool = True,
                 rotate: int = 0) -> list[Image.Image]:  # fmt: skip
    """Every page as a greyscale PIL image, degraded like a scan when ``noise`` is set."""
    pdf = pdfium.PdfDocument(render_pdf(doc, seed))
    rng = seeded("scan", seed)
    images = []
    try:
        for page in pdf:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            page.close()
            if noise:
                image = _scan(image, rng)
            if rotate % 360:
                image = image.rotate(-(rotate % 360), expand=True)  # clockwise, like a sheet fed turned
            images.append(image)
    finally:
        pdf.close()
    return images


def _scan(image: Image.Image, rng: random.Random) -> Image.Image:
    image = ImageEnhance.Contrast(image).enhance(rng.uniform(0.75, 1.2))
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.92, 1.05))
    if rng.random() < 0.6:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    angle = rng.uniform(-1.5, 1.5) if rng.random() < 0.7 else 0.0
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    pixels = np.array(image, dtype=np.float32)
    generator = np.random.default_rng(rng.randrange(2**32))
    pixels += generator.standard_normal(pixels.shape, dtype=np.float32) * np.float32(rng.uniform(2.0, 9.0))
    if rng.random() < 0.3:  # a faint grey cast, as from recycled paper or a dirty glass
        pixels -= rng.uniform(5, 20)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def render_image(
    doc: SyntheticDocument, seed: int, *, dpi: int = 150, rotate: int = 0, noise: bool = True
) -> bytes:
    """PNG of a one-page document; a multi-page TIFF (see ``render_tiff``) when it has more pages.

    ``rotate`` (0, 90, 180, 270) turns the page clockwise, as a sheet scanned the wrong way up.
    """
    pages = render_pages(doc, seed, dpi=dpi, noise=noise, rotate=rotate)
    if len(pages) > 1:
        return _tiff(pages, dpi)
    buf = io.BytesIO()
    pages[0].save(buf, format="PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def render_tiff(
    doc: SyntheticDocument, seed: int, *, dpi: int = 150, rotate: int = 0, noise: bool = True
) -> bytes:
    """All pages in one multi-page TIFF, the way multi-page scans usually arrive."""
    return _tiff(render_pages(doc, seed, dpi=dpi, noise=noise, rotate=rotate), dpi)


def _tiff(pages: list[Image.Image], dpi: int) -> bytes:
    buf = io.BytesIO()
    pages[0].save(buf, format="TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate",
                  dpi=(dpi, dpi))  # fmt: skip
    return buf.getvalue()


def render_multi_pdf_with_ranges(
    docs: Sequence[SyntheticDocument], seed: int
) -> tuple[bytes, list[tuple[int, int]]]:
    """Several documents in one PDF, as a batch scan or an e-mail bundle would arrive.

    Returns the PDF and each document's (first, last) page, 1-based and inclusive.
    """
    merged = pdfium.PdfDocument.new()
    ranges: list[tuple[int, int]] = []
    try:
        for index, doc in enumerate(docs):
            source = pdfium.PdfDocument(render_pdf(doc, seed * 1000 + index))
            first = len(merged) + 1
            merged.import_pages(source)
            ranges.append((first, len(merged)))
            source.close()
        buf = io.BytesIO()
        merged.save(buf)
        return buf.getvalue(), ranges
    finally:
        merged.close()


def render_multi_pdf(docs: Sequence[SyntheticDocument], seed: int) -> bytes:
    """Several documents concatenated in one PDF; see ``render_multi_pdf_with_ranges`` for the split."""
    return render_multi_pdf_with_ranges(docs, seed)[0]
