"""Drawing primitives shared by the layouts: fonts, a page-counting canvas and a text pen.

Kept apart from the layouts so each layout reads as "where things go", not "how to draw a
string". Standard PDF fonts (Helvetica, Times, Courier) are always available and reportlab
encodes them as WinAnsi, which covers € and the Western European accents the generator uses;
DejaVu TrueType fonts are used as well when the system has them, which changes the embedded
font programs and glyph widths a text-layer reader sees.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
# (regular, bold, TTF file stem or None); a TTF family falls back to the standard font after it.
FONT_FAMILIES = (
    ("Helvetica", "Helvetica-Bold", None),
    ("Times-Roman", "Times-Bold", None),
    ("Courier", "Courier-Bold", None),
    ("DejaVuSans", "DejaVuSans-Bold", "Helvetica"),
    ("DejaVuSerif", "DejaVuSerif-Bold", "Times-Roman"),
    ("DejaVuSansCondensed", "DejaVuSansCondensed-Bold", "Helvetica"),
    ("DejaVuSansMono", "DejaVuSansMono-Bold", "Courier"),
)
STANDARD_BOLD = {"Helvetica": "Helvetica-Bold", "Times-Roman": "Times-Bold", "Courier": "Courier-Bold"}


@cache
def ttf_available(name: str) -> bool:
    """Register a DejaVu font once per process; False when the file is not installed."""
    path = DEJAVU_DIR / f"{name}.ttf"
    if not path.is_file():
        return False
    try:
        pdfmetrics.registerFont(TTFont(name, str(path)))
    except Exception:  # a broken font file must not break generation
        return False
    return True


def pick_fonts(rng: random.Random, weights: tuple[int, ...] = (5, 3, 1, 4, 2, 2, 1)) -> tuple[str, str]:
    regular, bold, fallback = rng.choices(FONT_FAMILIES, weights=weights)[0]
    if fallback is None:
        return regular, bold
    if ttf_available(regular) and ttf_available(bold):
        return regular, bold
    return fallback, STANDARD_BOLD[fallback]


@dataclass
class Style:
    """Every layout decision drawn from the render seed."""

    family: str
    page: tuple[float, float]
    margin: float
    font: str
    bold: str
    size: float
    leading: float
    grid: str  # none | rules | grid | zebra | header_fill
    meta_style: str  # left | above | inline
    upper_headers: bool
    col_order: str  # as_is | qty_first | code_after | rate_early
    totals_box: bool
    colon: str  # ":" or ""
    accent: float  # grey level of fills and rules
    page_label_always: bool
    title_size: float


def pick_style(rng: random.Random, family: str, *, letter: bool) -> Style:
    font, bold = pick_fonts(rng)
    size = rng.choice((8, 8.5, 9, 9, 9.5, 10, 10.5, 11))
    if font.startswith("Courier") or font.endswith("Mono"):
        size = min(size, 9)
    page = LETTER if letter else A4
    return Style(
        family=family,
        page=(float(page[0]), float(page[1])),
        margin=rng.choice((36.0, 42.0, 50.0, 56.0, 64.0, 72.0)),
        font=font,
        bold=bold,
        size=size,
        leading=size * rng.choice((1.2, 1.3, 1.4)),
        grid=rng.choice(("none", "rules", "rules", "grid", "zebra", "header_fill")),
        meta_style=rng.choice(("left", "left", "above", "inline")),
        upper_headers=rng.random() < 0.3,
        col_order=rng.choice(("as_is", "as_is", "qty_first", "code_after", "rate_early")),
        totals_box=rng.random() < 0.3,
        colon=rng.choice((":", ":", "")),
        accent=rng.choice((0.85, 0.9, 0.93)),
        page_label_always=rng.random() < 0.3,
        title_size=size * rng.choice((1.6, 2.0, 2.4, 2.8)),
    )


class PagedCanvas(Canvas):  # type: ignore[misc]
    """Canvas that knows the page count when it saves, for "Page 1 of 3" and repeated footers."""

    def __init__(self, *args: Any, on_page: Callable[[Canvas, int, int], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_page = on_page
        self._states: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._states.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        self._states.append(dict(self.__dict__))
        total = len(self._states)
        for number, state in enumerate(self._states, start=1):
            self.__dict__.update(state)
            self._on_page(self, number, total)
            Canvas.showPage(self)
        Canvas.save(self)


class Pen:
    """Text drawing on a canvas with the document's fonts; x/y are PDF points from bottom-left."""

    def __init__(self, canvas: Canvas, style: Style) -> None:
        self.c = canvas
        self.s = style

    def font(self, bold: bool = False) -> str:
        return self.s.bold if bold else self.s.font

    def width(self, text: str, *, bold: bool = False, size: float | None = None) -> float:
        return float(pdfmetrics.stringWidth(text, self.font(bold), size or self.s.size))

    def text(self, x: float, y: float, text: str, *, bold: bool = False, size: float | None = None,
             align: str = "left", gray: float = 0.0) -> None:  # fmt: skip
        if not text:
            return
        self.c.setFont(self.font(bold), size or self.s.size)
        self.c.setFillGray(gray)
        if align == "right":
            self.c.drawRightString(x, y, text)
        elif align == "center":
            self.c.drawCentredString(x, y, text)
        else:
            self.c.drawString(x, y, text)
        self.c.setFillGray(0)

    def wrap(self, text: str, width: float, *, bold: bool = False, size: float | None = None) -> list[str]:
        lines: list[str] = []
        for part in text.split("\n"):
            lines += simpleSplit(part, self.font(bold), size or self.s.size, max(width, 10)) or [""]
        return lines

    def rule(self, x1: float, y: float, x2: float, *, width: float = 0.5, gray: float = 0.0) -> None:
        self.c.setLineWidth(width)
        self.c.setStrokeGray(gray)
        self.c.line(x1, y, x2, y)
        self.c.setStrokeGray(0)

    def fill(self, x: float, y: float, w: float, h: float, gray: float) -> None:
        self.c.setFillGray(gray)
        self.c.rect(x, y, w, h, stroke=0, fill=1)
        self.c.setFillGray(0)

    def box(self, x: float, y: float, w: float, h: float, *, width: float = 0.5) -> None:
        self.c.setLineWidth(width)
        self.c.rect(x, y, w, h, stroke=1, fill=0)
