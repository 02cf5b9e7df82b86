"""Page images of stored files, rendered once and kept in the blob store.

Rendering a PDF page means fetching the whole original (from S3, when scaled out) and running
PDFium, so the PNG is stored beside the original under ``page_key`` and later requests, from any
API process, read it back instead. The key holds everything the image depends on (the original's
hash, the page, the dpi), so a stored image never goes stale.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from docintake.errors import Conflict, NotFound, StorageUnavailable
from docintake.pipeline.pdftext import PDFIUM_LOCK
from docintake.storage.blobs import BlobStore, page_key

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)


def page_png(
    blobs: BlobStore,
    key: str,
    media_type: str,
    number: int,
    dpi: int,
    password: str | None,
    tmp_dir: Path,
) -> bytes | None:
    """Page ``number`` (1-based in the file) of the original under ``key`` as PNG; None when the
    file has no such page, ``Conflict`` when it cannot be read."""
    stored = page_key(key, number, dpi)
    try:
        with blobs.open(stored) as handle:
            return handle.read()
    except NotFound:
        pass
    with blobs.local_path(key) as path:
        if media_type == "application/pdf":
            image = _render_pdf_page(path, number, dpi, password)
        else:
            image = _image_frame(path, number, dpi)
    if image is None:
        return None
    tmp_dir.mkdir(parents=True, exist_ok=True)
    handle_fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="page-", suffix=".png")
    spool = Path(name)
    try:
        with os.fdopen(handle_fd, "wb") as out:
            image.save(out, format="PNG", compress_level=6)
        png = spool.read_bytes()
        try:
            blobs.put_file(stored, spool)
        except StorageUnavailable as exc:
            # The image is in hand: serve it, and let a later request store it.
            log.warning("page image %s not stored: %s", stored, exc.message)
    finally:
        spool.unlink(missing_ok=True)
    return png


def _render_pdf_page(path: Path, number: int, dpi: int, password: str | None) -> Image.Image | None:
    import pypdfium2 as pdfium

    from docintake.pipeline.pdftext import render_page

    # One PDFium call at a time in this process: PDFium is not thread-safe, and page images are
    # rendered in the API's threadpool.
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(path, password=password)
        except pdfium.PdfiumError as exc:
            raise Conflict(f"the PDF cannot be read ({exc})") from None
        try:
            if number > len(document):
                return None
            page = document[number - 1]
            try:
                return render_page(page, dpi=dpi)
            finally:
                page.close()
        finally:
            document.close()


def _image_frame(path: Path, number: int, dpi: int) -> Image.Image | None:
    from docintake.errors import ProcessingError
    from docintake.pipeline.images import load_frames

    max_side = round(11.7 * dpi)  # the long side of an A4 page (297 mm) at ``dpi``
    try:
        for index, frame in enumerate(load_frames(path, max_side=max_side), start=1):
            if index == number:
                return frame
    except ProcessingError as exc:
        raise Conflict(exc.message) from None
    return None
