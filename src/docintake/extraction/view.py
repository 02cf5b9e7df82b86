"""The document as the field candidates see it: its lines, each line's row and neighbours, its
reading conventions, and the caches that candidate features share.

Every candidate of every kind asks the same questions about the lines around it (what is left of
it on its row, which line is above or below it, which label words a line holds), and the answers
depend on the document alone; ``DocumentView`` answers them once per document. ``Candidate`` is
here too, as the one type the candidate modules (``candidates``, ``spans``) and the ranker share.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from docintake.extraction import identifiers as ident
from docintake.extraction import normalize as norm
from docintake.extraction.keywords import groups_in
from docintake.extraction.layout import Block, Line, build_blocks
from docintake.pipeline.model import Box

if TYPE_CHECKING:
    from docintake.extraction.spans import Run

DOLLAR = re.compile(r"(?<![A-Z])\$\s?\d")  # "$12.50", not "S$", "A$", "US$"


@dataclass
class Candidate:
    kind: str
    value: str  # normalised
    text: str  # as printed
    page: int
    box: Box
    confidence: float  # OCR confidence of the words
    lines: tuple[int, ...]  # indexes into the document's lines
    features: dict[str, float] = field(default_factory=dict)


@dataclass
class DocumentView:
    """Per-document context shared by all candidates: lines, rows, neighbours, statistics."""

    lines: list[Line]
    median_height: float
    left_text: list[str]  # text of the same row left of each line
    above: list[int | None]  # index of the nearest line above that overlaps horizontally
    below: list[int | None]
    groups: list[frozenset[str]]  # keyword groups of each line
    aspect: float
    day_first: bool | None = None
    decimal_hint: str | None = None
    country: str | None = None  # from country names, VAT ids, IBANs, or "$" in English text
    language: str | None = None
    text: str = ""  # every line, joined with newlines
    page_first: dict[int, int] = field(default_factory=dict)  # page -> index of its first line
    last_page: int = 0
    _blocks: list[Block] | None = None
    # Features shared by many candidates, computed once per document: the row context of a line
    # (per text before the value) and everything about a run of lines but its joined value (names
    # and addresses are the same runs).
    _contexts: dict[tuple[int, str], dict[str, float]] = field(default_factory=dict, repr=False)
    _spans: dict[tuple[int, int], Run] = field(default_factory=dict, repr=False)
    _char_counts: dict[int, tuple[int, int, int]] = field(default_factory=dict, repr=False)
    _folded_words: dict[int, list[str]] = field(default_factory=dict, repr=False)

    def blocks(self) -> list[Block]:
        if self._blocks is None:
            self._blocks = build_blocks(self.lines)
        return self._blocks

    def __post_init__(self) -> None:
        for line in reversed(self.lines):
            self.page_first[line.page] = line.index
        self.last_page = max((line.page for line in self.lines), default=0)

    @classmethod
    def build(cls, lines: list[Line]) -> DocumentView:
        """The view of ``lines``, with the document's reading conventions settled from all of it:
        language, country, decimal separator and day-first dates."""
        texts = [line.text for line in lines]
        joined = "\n".join(texts)
        language = ident.detect_language(joined)
        country = ident.country_from_text(joined)
        if country is None and language in (None, "en") and DOLLAR.search(joined):
            country = "US"  # plain "$" amounts in English: US conventions (month-first dates) are likeliest
        heights = sorted(line.height for line in lines) or [0.01]
        left_text, above, below = [], [], []
        for line in lines:
            row = [
                other
                for other in _nearby(lines, line)
                if other.box.x1 <= line.box.x0 + 1e-6
                and _v_overlap(other.box, line.box) > 0.5 * min(other.height, line.height)
            ]
            left_text.append(" ".join(other.text for other in sorted(row, key=lambda o: o.box.x0)))
            above.append(_neighbour(lines, line, -1))
            below.append(_neighbour(lines, line, 1))
        first = lines[0] if lines else None
        aspect = first.page_height / first.page_width if first and first.page_width else 1.414
        return cls(
            lines,
            heights[len(heights) // 2] or 0.01,
            left_text,
            above,
            below,
            [groups_in(line.text) for line in lines],
            aspect,
            norm.infer_day_first(texts, country, language),
            norm.guess_decimal_separator(texts),
            country,
            language,
            joined,
        )


def _nearby(lines: Sequence[Line], line: Line) -> list[Line]:
    """Lines of the same page whose tops are within two line heights of this one's: the only
    ones that can share its row. Lines are in reading order (by top edge), so this walks outwards
    from the line instead of scanning the page."""
    page, top = line.page, line.box.y0
    reach = 2 * max(line.height, 0.005)
    out = []
    for direction in (-1, 1):
        index = line.index + direction
        while 0 <= index < len(lines):
            other = lines[index]
            if other.page != page or abs(other.box.y0 - top) > reach + other.height:
                break
            out.append(other)
            index += direction
    return out


def _v_overlap(a: Box, b: Box) -> float:
    return min(a.y1, b.y1) - max(a.y0, b.y0)


def _neighbour(lines: Sequence[Line], line: Line, direction: int) -> int | None:
    """The nearest line above (direction -1) or below (+1) that overlaps ``line`` horizontally,
    within six line heights. Lines are in reading order (by top edge), so the scan walks outwards
    from the line and stops once tops are far beyond reach."""
    box, page = line.box, line.page  # locals: this runs for every line, twice
    height = box.y1 - box.y0
    reach = 6 * max(height, 0.005)
    best, best_gap = None, 0.0
    index = line.index + direction
    while 0 <= index < len(lines):
        other = lines[index]
        index += direction
        other_box = other.box
        if other.page != page or abs(other_box.y0 - box.y0) > reach + 2 * max(
            other_box.y1 - other_box.y0, height
        ):
            break
        if min(other_box.x1, box.x1) - max(other_box.x0, box.x0) <= 0:
            continue
        gap = (box.y0 - other_box.y1) if direction < 0 else (other_box.y0 - box.y1)
        if gap < -0.3 * height:
            continue
        if gap < reach and (best is None or gap < best_gap):
            best, best_gap = other.index, gap
    return best
