"""Skew: a page fed a few degrees off is measured and levelled; level and blank pages are left alone."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from docintake.pipeline.skew import deskew, estimate_skew


def _page() -> Image.Image:
    image = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(image)
    try:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype("DejaVuSans.ttf", 28)
    except OSError:
        font = ImageFont.load_default(size=28)
    for i in range(30):
        draw.text((80, 80 + i * 50), f"Line {i} invoice text 12.50 and more words", font=font, fill=0)
    return image


@pytest.mark.parametrize("turned", [1.5, -3.0, 4.0, -0.75])
def test_a_turned_page_is_measured_and_levelled(turned: float) -> None:
    page = _page().rotate(turned, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    assert estimate_skew(page) == pytest.approx(-turned, abs=0.3)
    level, angle = deskew(page)
    assert angle == pytest.approx(-turned, abs=0.3)
    assert abs(estimate_skew(level)) <= 0.3


def test_level_and_blank_pages_are_left_untouched() -> None:
    page = _page()
    assert deskew(page) == (page, 0.0)
    blank = Image.new("L", (800, 1000), 255)
    assert estimate_skew(blank) == 0.0 and deskew(blank)[0] is blank
