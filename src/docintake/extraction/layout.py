"""Words to lines and blocks, in reading order: the units every extractor reasons about.

OCR engines and PDF text layers both give words with boxes, but fields live in lines ("Total
12.50"), labels sit left of or above their values, and addresses are blocks of lines. Lines are
built per page by clustering words whose vertical extents overlap (tolerant of the slight skew of
phone photos), then split where a horizontal gap is far wider than the text height: two columns
printed on one baseline ("Invoice no. 42" ... "Date 01/02/2024") become two lines, which keeps a
label with its own value.

A line keeps the character offset of each word in its ``text``, so a regex match over the text
maps back to the boxes of the words it covers (provenance for every extracted value).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from docintake.pipeline.model import Box, PageText, Word

COLUMN_GAP = 2.2  # a gap wider than this many text heights starts a new line segment
BLOCK_GAP = 1.2  # lines further apart than this many text heights start a new block


def union(boxes: Iterable[Box]) -> Box:
    """The smallest box around ``boxes`` (one pass: this runs for every line, row and span)."""
    items = iter(boxes)
    first = next(items, None)
    if first is None:
        raise ValueError("union() of no boxes")
    x0, y0, x1, y1 = first.x0, first.y0, first.x1, first.y1
    for box in items:  # strict comparisons, like min() and max(): ties keep the first value
        if box.x0 < x0:
            x0 = box.x0
        if box.y0 < y0:
            y0 = box.y0
        if box.x1 > x1:
            x1 = box.x1
        if box.y1 > y1:
            y1 = box.y1
    return Box(x0, y0, x1, y1)


@dataclass
class Line:
    """Words on one baseline and one column segment of a page, left to right."""

    page: int
    words: list[Word]
    index: int = 0  # position in the document's reading order
    text: str = ""
    offsets: list[int] = field(default_factory=list)  # start of each word in ``text``
    box: Box = field(default_factory=lambda: Box(0, 0, 0, 0))
    page_width: float = 1.0  # in the page's own units; the aspect ratio matters for distances
    page_height: float = 1.0

    def __post_init__(self) -> None:
        if not self.text and self.words:
            parts, position = [], 0
            for word in self.words:
                self.offsets.append(position)
                parts.append(word.text)
                position += len(word.text) + 1
            self.text = " ".join(parts)
            self.box = union(w.box for w in self.words)

    @property
    def height(self) -> float:
        return self.box.y1 - self.box.y0

    @property
    def confidence(self) -> float:
        return min((w.confidence for w in self.words), default=0.0)

    def words_in(self, start: int, end: int) -> list[Word]:
        """The words a character span of ``text`` touches."""
        return [
            word
            for word, offset in zip(self.words, self.offsets, strict=True)
            if offset < end and offset + len(word.text) > start
        ]

    def span_box(self, start: int, end: int) -> Box:
        words = self.words_in(start, end)
        return union(w.box for w in words) if words else self.box

    def span_confidence(self, start: int, end: int) -> float:
        words = self.words_in(start, end)
        return min((w.confidence for w in words), default=self.confidence)


@dataclass
class Block:
    """Consecutive lines close together and left-aligned or overlapping: a paragraph, an address."""

    lines: list[Line]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def box(self) -> Box:
        return union(line.box for line in self.lines)


def _rows(words: Sequence[Word]) -> list[list[Word]]:
    """Cluster words into rows by vertical overlap with the row's running centre line."""
    rows: list[tuple[float, float, list[Word]]] = []  # (centre, height, words)
    for word in sorted(words, key=lambda w: (w.box.y0 + w.box.y1) / 2):
        centre = (word.box.y0 + word.box.y1) / 2
        height = max(word.box.y1 - word.box.y0, 1e-6)
        if rows:
            row_centre, row_height, members = rows[-1]
            if abs(centre - row_centre) <= 0.5 * min(height, row_height):
                members.append(word)
                count = len(members)
                rows[-1] = (row_centre + (centre - row_centre) / count, max(row_height, height), members)
                continue
        rows.append((centre, height, [word]))
    return [members for _, _, members in rows]


def _segments(row: list[Word], aspect: float) -> list[list[Word]]:
    """Split a row at gaps wider than ``COLUMN_GAP`` text heights. Boxes are page fractions, so a
    height is converted to a width fraction with the page's aspect ratio (height / width)."""
    row = sorted(row, key=lambda w: w.box.x0)
    heights = sorted(w.box.y1 - w.box.y0 for w in row)
    limit = COLUMN_GAP * heights[len(heights) // 2] * aspect
    segments: list[list[Word]] = [[row[0]]]
    for word in row[1:]:
        if word.box.x0 - segments[-1][-1].box.x1 > limit:
            segments.append([word])
        else:
            segments[-1].append(word)
    return segments


def page_lines(page: PageText) -> list[Line]:
    words = [w for w in page.words if w.text.strip()]
    if not words:
        return []
    aspect = page.height / page.width if page.width else 1.0
    lines = [
        Line(page.number, segment, page_width=page.width, page_height=page.height)
        for row in _rows(words)
        for segment in _segments(row, aspect)
    ]
    return sorted(lines, key=lambda line: (round(line.box.y0 * 200), line.box.x0))


def build_lines(pages: Iterable[PageText]) -> list[Line]:
    """All lines of the pages in reading order (page, then top to bottom, then left to right)."""
    lines = [line for page in sorted(pages, key=lambda p: p.number) for line in page_lines(page)]
    for index, line in enumerate(lines):
        line.index = index
    return lines


def build_blocks(lines: Sequence[Line]) -> list[Block]:
    """Group lines into blocks: the next line below, close vertically, overlapping horizontally."""
    blocks: list[Block] = []
    open_blocks: list[Block] = []
    for line in lines:
        home = None
        for block in reversed(open_blocks):
            last = block.lines[-1]
            if last.page != line.page:
                continue
            gap = line.box.y0 - last.box.y1
            height = max(last.height, line.height)
            overlaps = min(last.box.x1, line.box.x1) - max(last.box.x0, line.box.x0) > 0
            aligned = abs(last.box.x0 - line.box.x0) < 2 * height
            if -0.5 * height <= gap <= BLOCK_GAP * height and (overlaps or aligned):
                home = block
                break
        if home is None:
            home = Block([])
            blocks.append(home)
            open_blocks.append(home)
        home.lines.append(line)
        open_blocks = [b for b in open_blocks if b.lines[-1].page == line.page][-8:]
    return blocks
