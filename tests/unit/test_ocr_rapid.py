"""The RapidOCR engine, on images rendered here with Pillow.

The engine loads once for the module (about 1.5 s); every page costs 0.3-2 s. Pages are kept
small and squarish: RapidOCR's text detection enlarges a page until its short side is 736 px, so a
wide strip costs like a big page. Rendered text is clean: these tests pin behaviour (words, order, boxes, accents,
orientation, errors, no downloads), not accuracy on real scans.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from docintake.errors import DocintakeError, ProcessingError
from docintake.pipeline.model import Word
from docintake.pipeline.ocr import OCR_ENGINES, OcrOptions, check_engine, get_engine, rapid
from docintake.pipeline.ocr.rapid import RapidOcrEngine, _Line, _reading_order, _regroup, _split_evenly

BLOCK = [
    "The quick brown fox jumps over the lazy dog",
    "INVOICE No 2024-0017",
    "TOTAL 1,234.56 EUR",
    "Payment due within thirty days of receipt",
]
Px = tuple[float, float, float, float]


def font(size: int = 32) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def texts(words: list[Word]) -> list[str]:
    return [word.text for word in words]


def invoice_image() -> tuple[Image.Image, dict[str, Px]]:
    """Two rows, the amount right-aligned; returns the image and each word's drawn pixel box."""
    image = Image.new("RGB", (1240, 800), "white")  # squarish: RapidOCR enlarges to 736 px high
    draw = ImageDraw.Draw(image)
    drawn: dict[str, Px] = {}

    def put(x: float, y: float, line: str) -> None:
        draw.text((x, y), line, font=font(), fill="black")
        for word in line.split():
            start = x + draw.textlength(line[: line.index(word)], font=font())
            drawn[word] = draw.textbbox((start, y), word, font=font())

    put(60, 60, "INVOICE No 2024-0017")
    put(60, 160, "TOTAL")
    put(1180 - draw.textlength("1,234.56 EUR", font=font()), 160, "1,234.56 EUR")
    return image, drawn


def text_block(lines: list[str] = BLOCK, repeat: int = 3) -> Image.Image:
    """Several lines of text: Tesseract's orientation detection wants a dozen lines or so."""
    image = Image.new("L", (1400, 60 * len(lines) * repeat + 80), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines * repeat):
        draw.text((40, 40 + index * 60), line, font=font(), fill=0)
    return image


@pytest.fixture(scope="module")
def engine() -> Iterator[RapidOcrEngine]:
    found = get_engine("rapidocr", OcrOptions())
    assert isinstance(found, RapidOcrEngine)
    yield found


def assert_read_where_drawn(words: list[Word], image: Image.Image, drawn: dict[str, Any]) -> None:
    """The invoice image's words, in reading order, each boxed where it was drawn."""
    assert texts(words) == ["INVOICE", "No", "2024-0017", "TOTAL", "1,234.56", "EUR"]
    width, height = image.size
    for word in words:
        box = word.box
        assert 0.0 <= box.x0 < box.x1 <= 1.0 and 0.0 <= box.y0 < box.y1 <= 1.0
        assert 0.9 < word.confidence <= 1.0
        left, top, right, bottom = drawn[word.text]
        assert box.x0 == pytest.approx(left / width, abs=0.015), word
        assert box.x1 == pytest.approx(right / width, abs=0.015), word
        assert box.y0 == pytest.approx(top / height, abs=0.05), word
        assert box.y1 == pytest.approx(bottom / height, abs=0.05), word
    by_text = {word.text: word.box for word in words}
    assert by_text["TOTAL"].x1 < by_text["1,234.56"].x0 < by_text["1,234.56"].x1 < by_text["EUR"].x0
    assert by_text["INVOICE"].y1 < by_text["TOTAL"].y0


def test_reads_words_in_order_with_boxes_where_they_were_drawn(engine: RapidOcrEngine) -> None:
    image, drawn = invoice_image()
    assert_read_where_drawn(engine.recognize(image), image, drawn)


def test_reads_accented_latin_letters(engine: RapidOcrEngine) -> None:
    image = Image.new("L", (1000, 700), 255)
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), "Bäckerei Müller, Hauptstraße 12", font=font(), fill=0)
    draw.text((40, 120), "Café crème 3,50 €", font=font(), fill=0)
    assert texts(engine.recognize(image)) == [
        *["Bäckerei", "Müller,", "Hauptstraße", "12"],
        *["Café", "crème", "3,50", "€"],
    ]


def test_blank_and_empty_pages_have_no_words(engine: RapidOcrEngine) -> None:
    assert engine.recognize(Image.new("RGB", (800, 600), "white")) == []
    assert engine.recognize(Image.new("L", (0, 0))) == []
    assert engine.detect_orientation(Image.new("L", (800, 600), 255)) == (0, 0.0)


def test_transparent_background_is_read_as_white_paper(engine: RapidOcrEngine) -> None:
    image = Image.new("RGBA", (900, 600), (0, 0, 0, 0))  # transparent *black*
    ImageDraw.Draw(image).text((40, 40), "INVOICE No 2024-0017", font=font(), fill=(0, 0, 0, 255))
    assert texts(engine.recognize(image)) == ["INVOICE", "No", "2024-0017"]


def assert_turns_upright(engine: RapidOcrEngine, turned: int) -> None:
    """A text block turned ``turned`` degrees is told to turn back, confidently."""
    scanned = text_block().rotate(-turned, expand=True, fillcolor=255)  # PIL turns counter-clockwise
    degrees, confidence = engine.detect_orientation(scanned)
    assert degrees == (360 - turned) % 360
    assert 0.4 <= confidence <= 1.0


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_orientation_tells_how_to_turn_the_page_upright(engine: RapidOcrEngine, turned: int) -> None:
    """All four from RapidOCR's 0/180 line classifier (vertical lines are turned a quarter first)."""
    assert_turns_upright(engine, turned)


def test_votes_turn_into_degrees() -> None:
    upright, flipped = [(100.0, 0.1), (50.0, 0.3)], [(100.0, 0.9), (50.0, 0.7)]
    assert RapidOcrEngine._tally(upright, sideways=False) == (0, pytest.approx(2 / 3))  # mean 1/6
    assert RapidOcrEngine._tally(flipped, sideways=False)[0] == 180
    assert RapidOcrEngine._tally(upright, sideways=True)[0] == 270  # text reads top to bottom
    assert RapidOcrEngine._tally(flipped, sideways=True)[0] == 90
    assert RapidOcrEngine._tally([], sideways=True) == (0, 0.0)


def test_sideways_page_reads_as_nothing_so_the_pipeline_turns_it(engine: RapidOcrEngine) -> None:
    sideways = text_block().rotate(90, expand=True, fillcolor=255)
    assert engine.recognize(sideways) == []


def test_engine_is_created_once_per_process(engine: RapidOcrEngine) -> None:
    assert "rapidocr" in OCR_ENGINES and "tesseract" in OCR_ENGINES
    assert get_engine("rapidocr", OcrOptions()) is engine
    assert get_engine("rapidocr", OcrOptions(languages=("eng",))) is engine
    assert engine.name == "rapidocr"
    assert engine.version.startswith("rapidocr 3.") and "onnxruntime" in engine.version
    check_engine("rapidocr", OcrOptions())


def test_models_load_from_the_wheel_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading touches neither the network nor RapidOCR's download helper."""
    from rapidocr.utils.download_file import DownloadFile

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network or download attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(DownloadFile, "run", refuse)
    fresh = RapidOcrEngine(OcrOptions())
    assert all(path.is_relative_to(fresh.package) for path in fresh.models.values())
    with fresh._lock:
        fresh._engine()


def test_onnxruntime_telemetry_is_off(tmp_path: Path) -> None:
    """onnxruntime phones home unless told so before its import (see the module docstring);
    its telemetry leaves a device id and an event queue under ~/.cache/Microsoft."""
    env = {key: value for key, value in os.environ.items() if key != "ORT_DISABLE_TELEMETRY"}
    env["HOME"] = str(tmp_path)
    code = (
        "from PIL import Image\n"
        "from docintake.pipeline.ocr import OcrOptions, get_engine\n"
        "get_engine('rapidocr', OcrOptions()).recognize(Image.new('L', (64, 64), 255))\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)
    assert not (tmp_path / ".cache" / "Microsoft").exists()


def test_missing_model_files_fail_when_the_engine_is_created(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rapid.MODEL_FILES, "Rec", "no-such-model.onnx")
    with pytest.raises(DocintakeError, match=r"no-such-model\.onnx") as caught:
        RapidOcrEngine(OcrOptions())
    assert caught.value.code == "ocr_unavailable"


def test_engine_failure_is_a_processing_error() -> None:
    broken = RapidOcrEngine(OcrOptions())

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("onnxruntime said no")

    broken._ocr = fail  # type: ignore[assignment]
    with pytest.raises(ProcessingError) as caught:
        broken.recognize(Image.new("L", (100, 100), 255))
    assert caught.value.code == "ocr_failed"


def line(text: str, left: float, top: float, right: float, bottom: float) -> _Line:
    return _Line(text, 0.9, left, top, right, bottom, None)


def test_reading_order_is_rows_top_to_bottom_then_left_to_right() -> None:
    amount = line("1,234.56 EUR", 900, 162, 1120, 196)  # a little lower than its label
    label = line("TOTAL", 56, 160, 167, 194)
    title = line("INVOICE", 58, 61, 432, 94)
    footer = line("Thank you", 58, 260, 300, 294)
    assert _reading_order([footer, amount, label, title]) == [title, label, amount, footer]


def test_words_without_boxes_share_the_line_by_characters() -> None:
    words = _split_evenly(line("ab cd", 100, 10, 150, 20))
    assert words == [("ab", (100, 10, 120, 20)), ("cd", (130, 10, 150, 20))]


def test_word_pieces_are_joined_back_into_whitespace_words() -> None:
    split = line("TOTAL 1,234.56", 0, 0, 100, 10)
    split.pieces = [("TO", (0, 0, 10, 10)), ("TAL", (12, 0, 30, 10)), ("1,234.56", (40, 0, 100, 10))]
    assert _regroup(split) == [("TOTAL", (0, 0, 30, 10)), ("1,234.56", (40, 0, 100, 10))]
    split.pieces = [("TOTAL", (0, 0, 30, 10))]  # does not spell the line
    assert _regroup(split) is None
