"""Stage 2: the words of every page, from the PDF text layer when it is sane, else by OCR.

Scanned pages are levelled (``skew``: the last few degrees), read as they are, and turned upright
(90/180/270) only when that reads poorly; the engine is the one the file's processing preference
selects. The stage is optional: if it fails, the
document keeps what the earlier stages found and the failure is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pypdfium2 as pdfium
from PIL import Image

from docintake.pipeline.images import load_frames, normalize_for_ocr
from docintake.pipeline.model import PageText, Word
from docintake.pipeline.ocr import OcrEngine, OcrOptions, get_engine
from docintake.pipeline.pdftext import (
    PDFIUM_LOCK,
    image_coverage,
    render_page,
    text_layer_is_usable,
    text_layer_words,
)
from docintake.pipeline.respace import respace
from docintake.pipeline.runner import PipelineContext
from docintake.pipeline.skew import deskew

# Mean word confidence above which a page is taken as upright. Measured with Tesseract on 12 SROIE
# receipt scans: read upright 0.65-0.91, turned 90 or 180 degrees 0.20-0.43. At 0.75, 6 of 10
# upright receipts were sent to orientation detection for nothing (1.97x the raw OCR time).
GOOD_READ_CONFIDENCE = 0.55
ORIENTATION_MIN_CONFIDENCE = 0.4  # raw OSD score 6; wrong guesses on small text scored up to ~5.3


def _score(words: list[Word]) -> float:
    """Confidence mass of the words that look like text: sideways pages read as few, short,
    low-confidence fragments."""
    return sum(w.confidence * len(w.text) for w in words if any(ch.isalnum() for ch in w.text))


def _reads_well(words: list[Word]) -> bool:
    real = [w for w in words if sum(ch.isalnum() for ch in w.text) >= 2]
    return len(real) >= 5 and sum(w.confidence for w in real) / len(real) >= GOOD_READ_CONFIDENCE


class ReadText:
    name = "text"
    required = False

    def __init__(self, engines: dict[str, str], options: OcrOptions) -> None:
        self.engines, self.options = engines, options

    def _engine(self, ctx: PipelineContext) -> OcrEngine:
        name = self.engines.get(ctx.processing_pref) or self.engines["speed"]
        return get_engine(name, self.options)

    def __call__(self, ctx: PipelineContext) -> None:
        if ctx.media_type == "application/pdf":
            with PDFIUM_LOCK:
                ctx.pages = list(self._pdf_pages(ctx))
        else:
            ctx.pages = list(self._image_pages(ctx))

    def _ocr(self, ctx: PipelineContext, number: int, image: Image.Image) -> PageText:
        """Recognise the page as it is; only when that reads poorly, ask for its orientation and
        read it again turned upright. Most pages are upright, so most pay for one pass, not for
        orientation detection on top. Words another engine glued together get Tesseract's
        spaces (``respace``)."""
        engine = self._engine(ctx)
        gray, _ = deskew(normalize_for_ocr(image))
        words = engine.recognize(gray)
        page, rotation = gray, 0
        if not _reads_well(words):
            turn, confidence = engine.detect_orientation(gray)
            if turn and confidence >= ORIENTATION_MIN_CONFIDENCE:
                turned = gray.rotate(-turn, expand=True)  # PIL rotates counter-clockwise
                again = engine.recognize(turned)
                if _score(again) > _score(words):
                    words, page, rotation = again, turned, turn
        words = respace(words, page, engine, self.options)
        return PageText(number, float(page.width), float(page.height), "ocr", words, rotation, engine.version)

    def _pdf_pages(self, ctx: PipelineContext) -> Iterator[PageText]:
        document = pdfium.PdfDocument(ctx.path, password=ctx.password)
        try:
            for index in range(len(document)):
                page = document[index]
                try:
                    words = text_layer_words(page)
                    if text_layer_is_usable(words, image_coverage(page)):
                        width, height = page.get_size()  # as displayed: /Rotate applied
                        yield PageText(index + 1, width, height, "text_layer", words)
                    else:
                        yield self._ocr(ctx, index + 1, render_page(page))
                finally:
                    page.close()
        finally:
            document.close()

    def _image_pages(self, ctx: PipelineContext) -> Iterator[PageText]:
        for index, frame in enumerate(load_frames(ctx.path)):
            yield self._ocr(ctx, index + 1, frame)
