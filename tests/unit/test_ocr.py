"""OCR extension point and the Tesseract engine, on images rendered here with Pillow.

Rendered text is clean, so these tests pin behaviour (text, word order, box geometry, orientation
arithmetic, caching, errors) rather than accuracy on real scans.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from docintake.errors import DocintakeError, ProcessingError
from docintake.pipeline.model import Word
from docintake.pipeline.ocr import OCR_ENGINES, OcrOptions, check_engine, get_engine
from docintake.pipeline.ocr.tesseract import TesseractEngine, find_tessdata

DEBIAN_DEU = Path("/usr/share/tesseract-ocr/5/tessdata/deu.traineddata")
BLOCK = [
    "The quick brown fox jumps over the lazy dog",
    "INVOICE No 2024-0017",
    "TOTAL 1,234.56 EUR",
    "Payment due within thirty days of receipt",
]


def font(size: int = 32) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def invoice_image() -> tuple[
    Image.Image, tuple[float, float, float, float], tuple[float, float, float, float]
]:
    """Two lines; returns the image and the drawn pixel boxes of "TOTAL" and the amount."""
    image = Image.new("RGB", (1240, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.text((60, 60), "INVOICE No 2024-0017", font=font(), fill="black")
    total = draw.textbbox((60, 160), "TOTAL", font=font())
    draw.text((60, 160), "TOTAL", font=font(), fill="black")
    amount = "1,234.56 EUR"
    left = 1180 - draw.textlength(amount, font=font())
    amount_box = draw.textbbox((left, 160), "1,234.56", font=font())
    draw.text((left, 160), amount, font=font(), fill="black")
    return image, total, amount_box


def text_block(lines: list[str] = BLOCK, repeat: int = 3) -> Image.Image:
    """Several lines of text: OSD needs a dozen lines or so to be confident."""
    image = Image.new("L", (1400, 60 * len(lines) * repeat + 80), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines * repeat):
        draw.text((40, 40 + index * 60), line, font=font(), fill=0)
    return image


def texts(words: list[Word]) -> list[str]:
    return [word.text for word in words]


@pytest.fixture(scope="module")
def engine() -> TesseractEngine:
    found = get_engine("tesseract", OcrOptions())
    assert isinstance(found, TesseractEngine)
    return found


def test_reads_label_and_right_aligned_amount_on_one_line(engine: TesseractEngine) -> None:
    image, total_px, amount_px = invoice_image()
    words = engine.recognize(image)
    assert texts(words) == ["INVOICE", "No", "2024-0017", "TOTAL", "1,234.56", "EUR"]
    by_text = {word.text: word for word in words}
    total, amount = by_text["TOTAL"].box, by_text["1,234.56"].box
    for word in words:
        box = word.box
        assert 0.0 <= box.x0 < box.x1 <= 1.0 and 0.0 <= box.y0 < box.y1 <= 1.0
        assert 0.0 <= word.confidence <= 1.0 and word.confidence > 0.5
    assert total.x1 < amount.x0  # label left of the amount, same line
    assert abs((total.y0 + total.y1) - (amount.y0 + amount.y1)) / 2 < 0.03
    width, height = image.size
    for box, (left, top, right, bottom) in ((total, total_px), (amount, amount_px)):
        assert box.x0 == pytest.approx(left / width, abs=0.01)
        assert box.x1 == pytest.approx(right / width, abs=0.01)
        assert box.y0 == pytest.approx(top / height, abs=0.03)
        assert box.y1 == pytest.approx(bottom / height, abs=0.03)


def test_blank_page_has_no_words(engine: TesseractEngine) -> None:
    assert engine.recognize(Image.new("RGB", (800, 600), "white")) == []
    assert engine.recognize(Image.new("L", (0, 0))) == []


def test_transparent_background_is_read_as_white_paper(engine: TesseractEngine) -> None:
    image = Image.new("RGBA", (900, 120), (0, 0, 0, 0))  # transparent *black*
    ImageDraw.Draw(image).text((40, 40), "INVOICE No 2024-0017", font=font(), fill=(0, 0, 0, 255))
    assert texts(engine.recognize(image)) == ["INVOICE", "No", "2024-0017"]


@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_orientation_tells_how_to_turn_the_page_upright(engine: TesseractEngine, turned: int) -> None:
    upright = text_block()
    scanned = upright.rotate(-turned, expand=True, fillcolor=255)  # PIL turns counter-clockwise
    degrees, confidence = engine.detect_orientation(scanned)
    assert degrees == (360 - turned) % 360
    assert 0.0 < confidence <= 1.0
    fixed = scanned.rotate(-degrees, expand=True, fillcolor=255)
    assert texts(engine.recognize(fixed))[:4] == ["The", "quick", "brown", "fox"]


def test_orientation_of_a_blank_page_is_unknown(engine: TesseractEngine) -> None:
    assert engine.detect_orientation(Image.new("L", (1200, 1600), 255)) == (0, 0.0)


def test_engine_is_created_once_per_process() -> None:
    first = get_engine("tesseract", OcrOptions())
    assert get_engine("tesseract", OcrOptions(languages=("eng",))) is first
    assert first.name == "tesseract"
    assert first.version.startswith("tesseract 5.")
    check_engine("tesseract", OcrOptions())


def test_unknown_engine_names_the_known_ones() -> None:
    with pytest.raises(DocintakeError, match=r"unknown OCR engine 'nope'.*tesseract"):
        get_engine("nope", OcrOptions())
    assert "tesseract" in OCR_ENGINES


@pytest.mark.skipif(not DEBIAN_DEU.is_file(), reason=f"German language data absent ({DEBIAN_DEU})")
def test_german_accents_with_deu() -> None:
    german = get_engine("tesseract", OcrOptions(languages=("deu",)))
    image = Image.new("L", (1000, 120), 255)
    ImageDraw.Draw(image).text((40, 40), "Bäckerei Müller, Hauptstraße 12", font=font(), fill=0)
    assert " ".join(texts(german.recognize(image))) == "Bäckerei Müller, Hauptstraße 12"


def make_tessdata(root: Path, name: str, languages: list[str]) -> Path:
    folder = root / name
    folder.mkdir()
    for lang in languages:
        (folder / f"{lang}.traineddata").write_bytes(b"")
    return folder


def test_tessdata_folder_with_every_language_wins(tmp_path: Path) -> None:
    partial = make_tessdata(tmp_path, "pip", ["eng", "osd"])
    full = make_tessdata(tmp_path, "debian", ["eng", "deu", "fra"])
    assert find_tessdata(("deu", "fra"), [partial, full]) == (full, ("deu", "fra", "eng"))
    assert find_tessdata(("eng",), [partial, full]) == (partial, ("eng",))


def test_tessdata_falls_back_to_the_best_subset_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    no_eng = make_tessdata(tmp_path, "a", ["deu", "fra", "ita"])
    some = make_tessdata(tmp_path, "b", ["eng", "deu"])
    with caplog.at_level(logging.WARNING):
        assert find_tessdata(("deu", "fra", "ita"), [no_eng, some]) == (some, ("deu", "eng"))
    assert "fra+ita" in caplog.text


def test_missing_english_or_a_bad_code_fails_at_load(tmp_path: Path) -> None:
    no_eng = make_tessdata(tmp_path, "a", ["deu"])
    with pytest.raises(DocintakeError, match="'eng' not found"):
        TesseractEngine(OcrOptions(), tessdata_dirs=[no_eng, tmp_path / "missing"])
    with pytest.raises(DocintakeError, match="invalid OCR language code"):
        find_tessdata(("../eng",), [no_eng])


def test_engine_failure_is_a_processing_error(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = TesseractEngine(OcrOptions())

    class BrokenApi:
        def SetImage(self, image: Image.Image) -> None:  # noqa: N802 (tesserocr's C++ names)
            raise RuntimeError("leptonica said no")

        def Clear(self) -> None:  # noqa: N802
            pass

    monkeypatch.setattr(engine, "_api", BrokenApi())
    with pytest.raises(ProcessingError) as caught:
        engine.recognize(Image.new("L", (100, 100), 255))
    assert caught.value.code == "ocr_failed"
