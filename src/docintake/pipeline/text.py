"""Stage 2: the words of every page, from the PDF text layer when it is sane, else by OCR.

Scanned pages are turned upright first (Tesseract's orientation detection), then recognised by
the engine the file's processing preference selects. The stage is optional: if it fails, the
document keeps what the earlier stages found and the failure is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pypdfium2 as pdfium
from PIL import Image

from docintake.pipeline.images import load_frames, normalize_for_ocr
from docintake.pipeline.model import PageText
from docintake.pipeline.ocr import OcrEngine, OcrOptions, get_engine
from docintake.pipeline.pdftext import image_coverage, render_page, text_layer_is_usable, text_layer_words
from docintake.pipeline.runner import PipelineContext

ORIENTATION_MIN_CONFIDENCE = 0.4  # raw OSD score 6; wrong guesses on small text scored up to ~5.3


class ReadText:
    name = "text"
    required = False

    def __init__(self, engines: dict[str, str], options: OcrOptions) -> None:
        self.engines, self.options = engines, options

    def _engine(self, ctx: PipelineContext) -> OcrEngine:
        name = self.engines.get(ctx.processing_pref) or self.engines["speed"]
        return get_engine(name, self.options)

    def __call__(self, ctx: PipelineContext) -> None:
        pages = self._pdf_pages(ctx) if ctx.media_type == "application/pdf" else self._image_pages(ctx)
        ctx.pages = list(pages)

    def _ocr(self, ctx: PipelineContext, number: int, image: Image.Image) -> PageText:
        engine = self._engine(ctx)
        gray = normalize_for_ocr(image)
        rotation, confidence = engine.detect_orientation(gray)
        if rotation and confidence >= ORIENTATION_MIN_CONFIDENCE:
            gray = gray.rotate(-rotation, expand=True)  # PIL rotates counter-clockwise
        else:
            rotation = 0
        words = engine.recognize(gray)
        return PageText(number, float(gray.width), float(gray.height), "ocr", words, rotation, engine.version)

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
