"""Words another engine glued together are split where Tesseract sees the gaps."""

from __future__ import annotations

from PIL import Image, ImageDraw

from docintake.pipeline.model import Box, Word
from docintake.pipeline.ocr import OcrOptions
from docintake.pipeline.respace import respace
from tests.unit.test_ocr import font


class _Glued:
    """Stands for RapidOCR: only its name matters to ``respace``."""

    name = "rapidocr"
    version = "test"

    def recognize(self, image: Image.Image) -> list[Word]:  # pragma: no cover - not called
        return []

    def detect_orientation(self, image: Image.Image) -> tuple[int, float]:  # pragma: no cover
        return 0, 0.0


def _heading(text: str) -> tuple[Image.Image, Box]:
    image = Image.new("L", (1400, 200), 255)
    draw = ImageDraw.Draw(image)
    left, top, right, bottom = draw.textbbox((80, 60), text, font=font(44))
    draw.text((80, 60), text, font=font(44), fill=0)
    return image, Box(left / 1400, top / 200, right / 1400, bottom / 200)


def test_a_glued_heading_is_split_where_the_print_has_gaps() -> None:
    image, box = _heading("SANYU STATIONERY SHOP")
    words = [Word("SANYUSTATIONERYSHOP", box, 0.98), Word("NO.", Box(0.1, 0.8, 0.15, 0.9), 0.9)]
    out = respace(words, image, _Glued(), OcrOptions())
    assert [w.text for w in out] == ["SANYU", "STATIONERY", "SHOP", "NO."]
    assert all(w.confidence == 0.98 for w in out[:3])  # the glued word's reading and confidence
    lefts = [w.box.x0 for w in out[:3]]
    assert lefts == sorted(lefts) and box.x0 - 0.01 <= lefts[0] and out[2].box.x1 <= box.x1 + 0.01


def test_the_glued_reading_wins_when_tesseract_disagrees_on_the_letters() -> None:
    image, box = _heading("SANYU STATIONERY SHOP")
    words = [Word("SANYUSTATIONERYSHOPX", box, 0.9)]  # one letter more than printed
    assert respace(words, image, _Glued(), OcrOptions()) == words


def test_tesseracts_own_words_and_ordinary_words_are_left_alone() -> None:
    image, box = _heading("SANYU STATIONERY SHOP")
    glued = [Word("SANYUSTATIONERYSHOP", box, 0.9)]

    class _Tesseract(_Glued):
        name = "tesseract"

    assert respace(glued, image, _Tesseract(), OcrOptions()) == glued
    short = [Word("STATIONERY", box, 0.9)]
    assert respace(short, image, _Glued(), OcrOptions()) == short
