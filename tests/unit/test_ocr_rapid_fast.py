"""The ``rapidocr-fast`` engine: RapidOCR with text detection on a shrunk page (see the
``docintake.pipeline.ocr.rapid`` module docstring), on images rendered here with Pillow.

These pin what must not change against ``rapidocr``: the words, their order and boxes (line crops
come from the full page, boxes are mapped back to it), orientation, and that detection really
runs on the smaller image.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from docintake.pipeline.ocr import OCR_ENGINES, OcrOptions, check_engine, get_engine
from docintake.pipeline.ocr.rapid import (
    FAST_DET_LONG_SIDE,
    MAX_LONG_SIDE,
    RapidOcrEngine,
    RapidOcrFastEngine,
)
from tests.unit.test_ocr_rapid import (
    BLOCK,
    assert_read_where_drawn,
    assert_turns_upright,
    font,
    invoice_image,
    text_block,
    texts,
)


@pytest.fixture(scope="module")
def engine() -> Iterator[RapidOcrFastEngine]:
    found = get_engine("rapidocr-fast", OcrOptions())
    assert isinstance(found, RapidOcrFastEngine)
    yield found


@pytest.fixture
def detection_sizes(engine: RapidOcrFastEngine) -> Iterator[list[tuple[int, int]]]:
    """(height, width) of every image the detection model is given while the test runs."""
    with engine._lock:
        detector = engine._engine().text_det
    session = detector.session
    sizes: list[tuple[int, int]] = []

    class Recording:
        def __getattr__(self, name: str) -> Any:
            return getattr(session, name)

        def __call__(self, batch: np.ndarray) -> Any:
            sizes.append((int(batch.shape[2]), int(batch.shape[3])))
            return session(batch)

    detector.session = Recording()
    try:
        yield sizes
    finally:
        detector.session = session


def test_reads_words_in_order_with_boxes_where_they_were_drawn(engine: RapidOcrFastEngine) -> None:
    image, drawn = invoice_image()
    assert_read_where_drawn(engine.recognize(image), image, drawn)


def test_detection_runs_on_the_shrunk_page(
    engine: RapidOcrFastEngine, detection_sizes: list[tuple[int, int]]
) -> None:
    block = text_block(repeat=2)
    words = engine.recognize(block.resize((1600, 1200)))  # 4:3, about A5 landscape
    assert texts(words) == " ".join(BLOCK * 2).split()
    assert detection_sizes == [(704, 960)]  # 960 x 720, to multiples of 32
    # Boxes are fractions of the page, where the words were drawn (not of the detection image).
    left, top, right, bottom = ImageDraw.Draw(block).textbbox((40, 40), BLOCK[0], font=font())
    first, last = words[0], words[len(BLOCK[0].split()) - 1]
    assert first.box.x0 == pytest.approx(left / block.width, abs=0.015)
    assert first.box.y0 == pytest.approx(top / block.height, abs=0.03)
    assert first.box.y1 == pytest.approx(bottom / block.height, abs=0.03)
    assert last.box.x1 == pytest.approx(right / block.width, abs=0.015)


def test_small_print_on_a_narrow_page_is_still_found(
    engine: RapidOcrFastEngine, detection_sizes: list[tuple[int, int]]
) -> None:
    """A till roll (1:5) with small print: detected at 192x960 px its letters are ~5 px high,
    and the words are read from the 1600 px page."""
    roll = Image.new("L", (400, 2000), 255)
    draw = ImageDraw.Draw(roll)
    for index, line in enumerate(["COFFEE 3.20", "MUFFIN 2.80", "TOTAL 6.00"]):
        draw.text((30, 60 + index * 40), line, font=font(13), fill=0)
    words = engine.recognize(roll)
    assert texts(words) == ["COFFEE", "3.20", "MUFFIN", "2.80", "TOTAL", "6.00"]
    assert detection_sizes == [(FAST_DET_LONG_SIDE, 192)]
    assert MAX_LONG_SIDE > FAST_DET_LONG_SIDE  # recognition crops come from the larger page


def test_reads_as_much_as_the_default_engine(engine: RapidOcrFastEngine) -> None:
    page = text_block(repeat=1)
    default = get_engine("rapidocr", OcrOptions())
    assert isinstance(default, RapidOcrEngine) and not isinstance(default, RapidOcrFastEngine)
    assert texts(engine.recognize(page)) == texts(default.recognize(page))


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_orientation_tells_how_to_turn_the_page_upright(engine: RapidOcrFastEngine, turned: int) -> None:
    assert_turns_upright(engine, turned)


def test_blank_and_sideways_pages_have_no_words(engine: RapidOcrFastEngine) -> None:
    assert engine.recognize(Image.new("RGB", (800, 600), "white")) == []
    assert engine.recognize(Image.new("L", (0, 0))) == []
    assert engine.recognize(text_block().rotate(90, expand=True, fillcolor=255)) == []


def test_engine_is_registered_and_traceable(engine: RapidOcrFastEngine) -> None:
    assert "rapidocr-fast" in OCR_ENGINES
    assert get_engine("rapidocr-fast", OcrOptions()) is engine
    assert engine.name == "rapidocr-fast"
    assert engine.version.startswith("rapidocr 3.")
    assert engine.version.endswith(f"det-max-{FAST_DET_LONG_SIDE}")
    check_engine("rapidocr-fast", OcrOptions())
