"""Read a PDF page's own text layer, decide whether to trust it, and rasterize pages for OCR.

A born-digital PDF already knows its words and where they are: reading them costs ~10 ms for a
dense page and is exact, where OCR costs ~0.5-3 s a page and makes mistakes. So the pipeline prefers the text layer and
falls back to OCR only when the layer is missing or garbage (``text_layer_is_usable``).

Words come from PDFium's per-character loose boxes (font ascent to descent, so all words of a
line get the same height, like OCR line boxes), grouped here: on whitespace, including the
spaces PDFium itself inserts where text objects are apart, and on large gaps between characters,
because invoice tables often place amounts by position with no space character between columns. Boxes are mapped from PDF
space (points, origin bottom-left, unrotated) to the page as displayed (``/Rotate`` applied, crop
box cut off, origin top-left, 0..1) so that they line up with ``render_page``'s image and with OCR
boxes of the same page.
"""

from __future__ import annotations

import math
import threading
import unicodedata
from collections.abc import Callable

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from docintake.pipeline.model import Box, Word

# Characters join one word while the gap to the previous one is at most this share of the
# character height; a larger gap is a column break even without a space character. A space in
# Helvetica is ~0.28 em and the loose box is ~1.15 em tall, so 0.6 only breaks on real gaps.
GAP_RATIO = 0.6
REPLACEMENT = "\ufffd"
_WHITESPACE = frozenset(
    " \t\r\n\x0b\x0c\xa0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u3000"
)
# Unicode categories that make a text layer suspicious: control, unassigned, private use, surrogate.
_GARBAGE_CATEGORIES = frozenset({"Cc", "Cn", "Co", "Cs"})

_Rect = tuple[float, float, float, float]

# PDFium is not thread-safe: every use of it in one process goes through this lock (worker
# processes run one file at a time; the API renders page images from a thread pool).
PDFIUM_LOCK = threading.RLock()


def _page_transform(page: pdfium.PdfPage) -> Callable[[_Rect], _Rect]:
    """Return a function mapping a PDF-space rectangle to a 0..1 box of the displayed page.

    PDFium renders the page's bounding box (crop box clipped to the media box) turned clockwise
    by ``/Rotate``, so the same is done here; a rectangle's corners are mapped and re-sorted.
    """
    left, bottom, right, top = page.get_bbox()
    width, height = max(right - left, 1e-6), max(top - bottom, 1e-6)
    rotation = page.get_rotation()

    def transform(rect: _Rect) -> _Rect:
        x0, y0, x1, y1 = rect
        if rotation == 90:  # the page's left edge becomes the top
            return (y0 - bottom) / height, (x0 - left) / width, (y1 - bottom) / height, (x1 - left) / width
        if rotation == 180:
            return (right - x1) / width, (y0 - bottom) / height, (right - x0) / width, (y1 - bottom) / height
        if rotation == 270:  # the page's right edge becomes the top
            return (top - y1) / height, (right - x1) / width, (top - y0) / height, (right - x0) / width
        return (x0 - left) / width, (top - y1) / height, (x1 - left) / width, (top - y0) / height

    return transform


def _page_text(textpage: pdfium.PdfTextPage, count: int) -> str:
    """The page's characters, one per char index. ``get_text_range`` is one call for the whole
    page; in the rare case its output is not one-to-one with char indices (PDFium may insert or
    drop characters, and UCS-2 cannot carry non-BMP ones) fall back to a call per character."""
    text: str = textpage.get_text_range()
    if len(text) == count:
        return text
    get_unicode = pdfium_c.FPDFText_GetUnicode
    codes = (get_unicode(textpage.raw, index) for index in range(count))
    return "".join(chr(code) if 0 < code < 0x110000 else REPLACEMENT for code in codes)


def _pdf_words(textpage: pdfium.PdfTextPage) -> list[tuple[str, _Rect]]:
    """Words of the page in PDF space, in content order: characters joined while they touch.

    A word ends at whitespace or where the distance between two characters' loose boxes (zero
    when they touch or overlap along an axis, so vertical text works too, and a jump to the next
    line is a large distance) exceeds ``GAP_RATIO`` of the character size.

    Characters PDFium could not map to Unicode (fonts without a ToUnicode map, whose codes it
    passes through: often glyph ids that merely look like letters) become U+FFFD, so that
    ``text_layer_is_usable`` sees them; so do control characters. Checking the first and last
    character of each word is enough (a word is almost always in one font) and saves a ctypes
    call per character, which is a third of the time on a dense page.
    """
    count = textpage.count_chars()
    text = _page_text(textpage, count)
    raw = textpage.raw
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    map_error = pdfium_c.FPDFText_HasUnicodeMapError
    rect = pdfium_c.FS_RECTF()
    whitespace = _WHITESPACE
    words: list[tuple[str, _Rect]] = []
    start = -1  # char index of the current word's first character, -1 when none
    last = 0
    wx0 = wy0 = wx1 = wy1 = px0 = py0 = px1 = py1 = psize = 0.0

    def flush() -> None:
        chars = [text[i] for i in range(start, last + 1) if text[i] not in whitespace]
        if map_error(raw, start) == 1 or map_error(raw, last) == 1:
            chars = [REPLACEMENT] * len(chars)
        word = "".join("-" if c == "\x02" else REPLACEMENT if c < " " else c for c in chars)
        words.append((word, (wx0, wy0, wx1, wy1)))

    for index, char in enumerate(text):
        if char in whitespace:
            if start >= 0:
                flush()
                start = -1
            continue
        if not get_box(raw, index, rect):
            continue
        # Plain comparisons rather than min()/max(): this loop runs for every character.
        x0, y0, x1, y1 = rect.left, rect.bottom, rect.right, rect.top
        size = y1 - y0 if y1 - y0 > x1 - x0 else x1 - x0
        if start >= 0:
            limit = GAP_RATIO * (size if size > psize else psize)
            if x0 - px1 > limit or px0 - x1 > limit or y0 - py1 > limit or py0 - y1 > limit:
                flush()
                start = -1
        if start < 0:
            start, wx0, wy0, wx1, wy1 = index, x0, y0, x1, y1
        else:
            if x0 < wx0:
                wx0 = x0
            if y0 < wy0:
                wy0 = y0
            if x1 > wx1:
                wx1 = x1
            if y1 > wy1:
                wy1 = y1
        last, px0, py0, px1, py1, psize = index, x0, y0, x1, y1, size
    if start >= 0:
        flush()
    return words


def _reading_order(words: list[Word]) -> list[Word]:
    """Sort into lines top to bottom (words whose vertical middles fall in each other's band),
    then each line left to right."""
    lines: list[list[Word]] = []
    band = (0.0, 0.0)
    for word in sorted(words, key=lambda w: (w.box.y0 + w.box.y1, w.box.x0)):
        middle = (word.box.y0 + word.box.y1) / 2
        if lines and (band[0] <= middle <= band[1] or word.box.y0 <= sum(band) / 2 <= word.box.y1):
            lines[-1].append(word)
        else:
            lines.append([word])
            band = (word.box.y0, word.box.y1)
    return [word for line in lines for word in sorted(line, key=lambda w: w.box.x0)]


def text_layer_words(page: pdfium.PdfPage) -> list[Word]:
    """The words of the page's text layer, boxes relative to the displayed page, in reading order.

    Words entirely outside the visible page (the crop box) are dropped: they are not in the
    rendered image either, and a reader of the page cannot see them.
    """
    textpage = page.get_textpage()
    try:
        pdf_words = _pdf_words(textpage)
    finally:
        textpage.close()
    transform = _page_transform(page)
    words: list[Word] = []
    for text, rect in pdf_words:
        x0, y0, x1, y1 = transform(rect)
        if x1 <= 0.0 or y1 <= 0.0 or x0 >= 1.0 or y0 >= 1.0:
            continue
        box = Box(max(x0, 0.0), max(y0, 0.0), min(x1, 1.0), min(y1, 1.0))
        words.append(Word(text, box, 1.0))
    return _reading_order(words)


def _is_clean(char: str) -> bool:
    return char != REPLACEMENT and unicodedata.category(char) not in _GARBAGE_CATEGORIES


def text_layer_is_usable(words: list[Word], image_coverage: float = 0.0) -> bool:
    """Whether a page's text layer can be used instead of OCR. Three checks, each cheap:

    1. Enough text: at least 3 words with at least 2 letters or digits each. Pages of pure
       vector graphics or scans carry nothing, or a stray page number.
    2. Mostly clean characters: over 90% of all characters are not U+FFFD (PDFium could not map
       the glyph to Unicode, see ``_pdf_words``), control, private-use or unassigned code points.
       Fonts embedded without a ToUnicode map produce exactly such garbage.
    3. ``image_coverage`` (share of the page covered by images, see ``image_coverage``): a page
       that is mostly a picture with fewer than 25 words of text is a scan with a stamp, a Bates
       number or a fax header on top; the content is in the image, so OCR it. A scan with a full
       (invisible) OCR layer has many words and passes.
    """
    if sum(1 for word in words if sum(char.isalnum() for char in word.text) >= 2) < 3:
        return False
    total = sum(len(word.text) for word in words)
    clean = sum(_is_clean(char) for word in words for char in word.text)
    if clean <= 0.9 * total:
        return False
    return not (image_coverage >= 0.5 and len(words) < 25)


def image_coverage(page: pdfium.PdfPage) -> float:
    """Share (0..1) of the visible page covered by image objects, including images inside form
    XObjects (scanner software often wraps the scan in one). Overlapping images count twice,
    hence the cap at 1; a rough measure is all ``text_layer_is_usable`` needs."""
    left, bottom, right, top = page.get_bbox()
    area = max((right - left) * (top - bottom), 1e-6)
    covered = 0.0
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
        x0, y0, x1, y1 = obj.get_bounds()
        container = obj.container  # bounds inside a form are in the form's space
        while container is not None:
            x0, y0, x1, y1 = container.get_matrix().on_rect(x0, y0, x1, y1)
            container = container.container
        width = min(x1, right) - max(x0, left)
        height = min(y1, top) - max(y0, bottom)
        if width > 0 and height > 0:
            covered += width * height
    return float(min(covered / area, 1.0))


def render_page(page: pdfium.PdfPage, dpi: int = 300, max_pixels: int = 12_000_000) -> Image.Image:
    """Rasterize the page as PDFium displays it (rotation applied) in grayscale ("L"), for OCR.

    300 dpi is what OCR engines are tuned for; ``max_pixels`` (A4 at 300 dpi is 8.7 MP) caps the
    memory and OCR time of oversized pages (posters, A0 drawings), which are scaled down to fit.
    Filled-in AcroForm fields are drawn only if the document had ``init_forms()`` called before
    its pages were loaded.
    """
    width, height = float(page.get_width()), float(page.get_height())
    scale = dpi / 72.0
    # PDFium rounds each side up, so leave room for one extra pixel per side.
    while math.ceil(width * scale) * math.ceil(height * scale) > max_pixels and scale > 1e-3:
        scale *= min(0.999, math.sqrt(max_pixels / (math.ceil(width * scale) * math.ceil(height * scale))))
    bitmap = page.render(scale=scale, grayscale=True, draw_annots=True)
    try:
        image: Image.Image = bitmap.to_pil().copy()  # own the pixels: the bitmap buffer is freed
    finally:
        bitmap.close()
    return image
