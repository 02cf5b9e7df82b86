"""What the pipeline knows about a page: words with page-relative boxes and confidences.

Boxes are fractions of the page (0..1, origin top-left), whatever the source: a PDF text layer
in points, an OCR'd scan in pixels, a rotated photo. Every later stage (layout, extraction,
provenance in the API) works in that one coordinate system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def from_pixels(
        cls, left: float, top: float, right: float, bottom: float, width: float, height: float
    ) -> Box:
        def clamp(value: float) -> float:
            return min(max(value, 0.0), 1.0)

        return cls(clamp(left / width), clamp(top / height), clamp(right / width), clamp(bottom / height))

    def as_list(self) -> list[float]:
        return [round(self.x0, 5), round(self.y0, 5), round(self.x1, 5), round(self.y1, 5)]


@dataclass(frozen=True)
class Word:
    text: str
    box: Box
    confidence: float  # 0..1; 1.0 for a PDF text layer


@dataclass
class PageText:
    """The words of one page (1-based ``number``) and where they came from."""

    number: int
    width: float
    height: float
    source: Literal["text_layer", "ocr"]
    words: list[Word] = field(default_factory=list)
    rotation: int = 0  # degrees clockwise the page was turned to read it upright
    engine: str | None = None
