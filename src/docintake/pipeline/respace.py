"""A second opinion on where the spaces go, for words one engine glued together.

RapidOCR's recogniser reads characters well but sometimes drops the spaces of letter-spaced
headings: a receipt's "SANYU STATIONERY SHOP" comes back as "SANYUSTATIONERYSHOP" (11 of 200
SROIE receipts lost their supplier name that way). Tesseract finds word gaps from the geometry of
the glyphs, so it is asked about those words only: the glued word's box is cut out and read by
Tesseract, and when both engines agree on the number of letters and digits, the word is split
where Tesseract put its spaces. RapidOCR's characters are kept (they are the better reading); only
the split points come from Tesseract. Few words qualify (long runs of capitals without a space),
so the cost is a few small Tesseract reads per page, and only for engines that are not Tesseract.
"""

from __future__ import annotations

import logging
import re

from PIL import Image

from docintake.errors import DocintakeError
from docintake.pipeline.model import Box, Word
from docintake.pipeline.ocr import OcrEngine, OcrOptions, get_engine

log = logging.getLogger(__name__)

GLUED = re.compile(r"[A-Z0-9&'.\-]{12,}")  # a long run of capitals without a space
MAX_WORDS = 8  # per page: a page of glued capitals is a different problem
PAD = 0.25  # of the word's height, around the cut-out


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _split(word: Word, pieces: list[Word]) -> list[Word] | None:
    """``word`` split where Tesseract's ``pieces`` are, or None when they disagree on length."""
    if len(pieces) < 2 or len(_alnum(word.text)) != sum(len(_alnum(p.text)) for p in pieces):
        return None
    out: list[Word] = []
    position = 0
    for piece in pieces:
        count = len(_alnum(piece.text))
        start = position
        while count:  # walk the glued text until the piece's letters are used up
            if word.text[position].isalnum():
                count -= 1
            position += 1
        if piece is pieces[-1]:
            position = len(word.text)
        out.append(Word(word.text[start:position], piece.box, word.confidence))
    return out if all(w.text for w in out) else None


def _cut(image: Image.Image, box: Box) -> tuple[Image.Image, tuple[float, float, float, float]]:
    pad = (box.y1 - box.y0) * PAD
    left, top = max(0.0, box.x0 - pad / 2), max(0.0, box.y0 - pad)
    right, bottom = min(1.0, box.x1 + pad / 2), min(1.0, box.y1 + pad)
    crop = image.crop(
        (
            round(left * image.width),
            round(top * image.height),
            round(right * image.width),
            round(bottom * image.height),
        )
    )
    return crop, (left, top, right, bottom)


def _page_box(piece: Box, frame: tuple[float, float, float, float]) -> Box:
    left, top, right, bottom = frame
    width, height = right - left, bottom - top
    return Box(
        left + piece.x0 * width, top + piece.y0 * height, left + piece.x1 * width, top + piece.y1 * height
    )


def respace(words: list[Word], image: Image.Image, engine: OcrEngine, options: OcrOptions) -> list[Word]:
    """``words`` with glued capitals split where Tesseract sees spaces (module docstring)."""
    if engine.name == "tesseract":
        return words
    glued = [
        i for i, w in enumerate(words) if GLUED.fullmatch(w.text) and sum(c.isalpha() for c in w.text) >= 8
    ]
    if not glued or len(glued) > MAX_WORDS:
        return words
    try:
        tesseract = get_engine("tesseract", options)
    except DocintakeError as exc:  # no Tesseract data: keep the words as they are
        log.debug("no second opinion on glued words: %s", exc)
        return words
    out = list(words)
    for index in reversed(glued):  # from the end, so earlier indexes stay valid
        word = words[index]
        crop, frame = _cut(image, word.box)
        if crop.width < 8 or crop.height < 8:
            continue
        pieces = [Word(p.text, _page_box(p.box, frame), p.confidence) for p in tesseract.recognize(crop)]
        split = _split(word, pieces)
        if split is not None:
            out[index : index + 1] = split
    return out
