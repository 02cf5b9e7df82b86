"""Stage 1: open the file and learn its pages, refusing what cannot be read.

This is where hostile or broken input shows up first (truncated images, malformed or encrypted
PDFs, zero-page files), so every library error is turned into a ``ProcessingError`` with a code a
user can act on, and decompression-bomb images are refused by Pillow's pixel limit.
"""

from __future__ import annotations

import pypdfium2 as pdfium
from PIL import Image, UnidentifiedImageError
from pillow_heif import register_heif_opener

from docintake.errors import ProcessingError
from docintake.pipeline.pdftext import PDFIUM_LOCK
from docintake.pipeline.runner import PipelineContext

register_heif_opener()
Image.MAX_IMAGE_PIXELS = 180_000_000  # ~A3 at 1200 dpi; far beyond any real scan


class OpenPages:
    name = "pages"
    required = True

    def __call__(self, ctx: PipelineContext) -> None:
        if ctx.media_type == "application/pdf":
            with PDFIUM_LOCK:
                self._pdf(ctx)
        else:
            self._image(ctx)
        if ctx.page_count == 0:
            raise ProcessingError("the file has no pages", code="empty_document")

    def _pdf(self, ctx: PipelineContext) -> None:
        try:
            document = pdfium.PdfDocument(ctx.path, password=ctx.password)
        except pdfium.PdfiumError as exc:
            text = str(exc)
            if "password" in text.lower():
                if ctx.password:
                    raise ProcessingError("the PDF password is wrong", code="pdf_wrong_password") from None
                raise ProcessingError(
                    "the PDF is encrypted: upload it again with its password", code="pdf_encrypted"
                ) from None
            raise ProcessingError(f"the PDF cannot be read ({text})", code="pdf_unreadable") from None
        try:
            ctx.page_count = len(document)
            for index in range(ctx.page_count):
                page = document[index]
                ctx.page_sizes.append((page.get_width(), page.get_height()))
                page.close()
        finally:
            document.close()

    def _image(self, ctx: PipelineContext) -> None:
        try:
            with Image.open(ctx.path) as image:
                frames = getattr(image, "n_frames", 1)
                for index in range(frames):
                    image.seek(index)
                    image.load()
                    ctx.page_sizes.append((float(image.width), float(image.height)))
                ctx.page_count = frames
        except Image.DecompressionBombError as exc:
            raise ProcessingError(
                f"the image is too large to process ({exc})", code="image_too_large"
            ) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ProcessingError(f"the image cannot be read ({exc})", code="image_unreadable") from None
