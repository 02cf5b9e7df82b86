"""The body shared by every full-page layout: items table, totals, tax table, notes, footer.

Layout families differ in their header (where the parties, title and meta go); the table and
what follows it paginate the same way everywhere: the table header repeats on each new page,
totals are kept together on the last page, and every page gets the footer and "Page x of n".
Values are always drawn as one string, never wrapped or split, so a text-layer reader sees them
exactly as the labels' ``printed`` forms; only descriptions and notes wrap.
"""

from __future__ import annotations

import io
import random

from reportlab.pdfgen.canvas import Canvas

from training.synthetic.content import Column, Party, SyntheticDocument
from training.synthetic.draw import PagedCanvas, Pen, Style

PAD = 4.0


class PageLayout:
    """Draws one document; subclasses implement ``header`` and may override ``draw_footer``."""

    footer_columns = False

    def __init__(self, doc: SyntheticDocument, style: Style, rng: random.Random) -> None:
        self.doc, self.b, self.s, self.rng = doc, doc.blocks, style, rng
        self.buf = io.BytesIO()
        self.c = PagedCanvas(
            self.buf,
            pagesize=style.page,
            invariant=1,
            pageCompression=1,
            initialFontName=style.font,
            on_page=self.decorate,
        )
        self.pen = Pen(self.c, style)
        self.width, self.height = style.page
        self.left, self.right = style.margin, self.width - style.margin
        self.top = self.height - style.margin * rng.choice((0.7, 0.85, 1.0))
        self.small = style.size * 0.8
        self.separator = rng.choice((" · ", " | ", "   ", " - "))
        self.footer_lines = self.prepare_footer()
        self.bottom = style.margin * 0.6 + (len(self.footer_lines) + 2) * self.small * 1.25

    # -- entry point
    def render(self) -> bytes:
        y = self.header()
        y = self.table(y - self.s.leading * self.rng.choice((0.8, 1.2, 2.0)))
        y = self.totals(y - self.s.leading)
        self.notes(y - self.s.leading)
        self.c.setTitle(self.b.title or "")
        self.c.save()
        return self.buf.getvalue()

    def header(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- helpers used by headers
    def fit(self, x: float, y: float, text: str, max_width: float, *, bold: bool = False, size: float | None = None,
            align: str = "left", gray: float = 0.0) -> None:  # fmt: skip
        """One line of text, shrunk (never wrapped) until it fits ``max_width``."""
        size = size or self.s.size
        while size > 5 and self.pen.width(text, bold=bold, size=size) > max_width:
            size -= 0.5
        self.pen.text(x, y, text, bold=bold, size=size, align=align, gray=gray)

    def party(self, x: float, y: float, party: Party, width: float, *, name_scale: float = 1.15,
              align: str = "left", extra: list[str] | None = None) -> float:  # fmt: skip
        lead = self.s.leading
        if party.heading:
            self.fit(
                x, y, party.heading + self.s.colon, width, bold=True, size=self.small, align=align, gray=0.3
            )
            y -= lead
        for i, line in enumerate(party.lines):
            size = self.s.size * name_scale if i == 0 else self.s.size
            self.fit(x, y, line, width, bold=i == 0, size=size, align=align)
            y -= lead * (name_scale if i == 0 else 1)
        for line in extra or []:
            self.fit(x, y, line, width, size=self.small, align=align)
            y -= self.small * 1.3
        return y

    def meta(
        self, x: float, y: float, width: float, *, style: str | None = None, align: str = "left"
    ) -> float:
        pairs = [(label + (self.s.colon if label else ""), value) for label, value in self.b.meta]
        if not pairs:
            return y
        style = style or self.s.meta_style
        lead, pen = self.s.leading, self.pen
        if style == "above":
            per_row = max(1, min(len(pairs), int(width // 120)))
            cell = width / per_row
            for start in range(0, len(pairs), per_row):
                for i, (label, value) in enumerate(pairs[start : start + per_row]):
                    self.fit(x + i * cell, y, label.rstrip(":"), cell - 6, size=self.small, gray=0.4)
                    self.fit(x + i * cell, y - lead, value, cell - 6, bold=True)
                y -= lead * 2.3
            return y
        if style == "inline":
            line: list[str] = []
            for label, value in pairs:
                piece = f"{label} {value}".strip()
                if line and pen.width("   ".join([*line, piece])) > width:
                    self.fit(x, y, "   ".join(line), width)
                    y, line = y - lead, []
                line.append(piece)
            self.fit(x, y, "   ".join(line), width)
            return y - lead
        label_w = min(max(pen.width(label, bold=True) for label, _ in pairs) + 8, width * 0.6)
        value_w = max(pen.width(value) for _, value in pairs)
        if align == "right":
            x = max(x, x + width - label_w - value_w)
        for label, value in pairs:
            self.fit(x, y, label, label_w - 4, bold=True)
            self.fit(x + label_w, y, value, width - label_w)
            y -= lead
        return y

    def meta_width(self) -> float:
        pairs = self.b.meta
        if not pairs:
            return 0.0
        return (
            max(self.pen.width(label + ":", bold=True) for label, _ in pairs)
            + 8
            + max(self.pen.width(value) for _, value in pairs)
        )

    # -- table
    def columns(self) -> list[Column]:
        cols = list(self.b.columns)
        keys = [c.key for c in cols]

        def move(key: str, after: str | None) -> None:
            if key not in keys or (after is not None and after not in keys):
                return
            col = cols.pop(keys.index(key))
            keys.remove(key)
            at = 0 if after is None else keys.index(after) + 1
            if after is None and keys and keys[0] == "pos":
                at = 1
            cols.insert(at, col)
            keys.insert(at, key)

        order = self.s.col_order
        if order == "qty_first" and "quantity" in keys:
            move("quantity", "product_code" if "product_code" in keys else None)
            move("unit", "quantity")
        elif order == "code_after":
            move("product_code", "description")
        elif order == "rate_early":
            move("tax_rate", "description")
        return cols

    def cell_text(self, row: dict[str, str], key: str) -> str:
        text = row.get(key, "")
        if key == "description" and row.get("detail"):
            text = f"{text}\n{row['detail']}"
        return text

    def table(self, y: float) -> float:
        cols = self.columns()
        if not cols or not self.b.rows:
            return y
        size = self.s.size
        avail = self.right - self.left
        headers = [c.header.upper() if self.s.upper_headers else c.header for c in cols]
        while True:
            widths = []
            for col, head in zip(cols, headers, strict=True):
                if col.key == "description":
                    widths.append(0.0)
                    continue
                texts = [self.pen.width(self.cell_text(r, col.key), size=size) for r in self.b.rows]
                widths.append(max([self.pen.width(head, bold=True, size=size), *texts]) + 2 * PAD)
            desc = avail - sum(widths)
            if desc >= min(150.0, avail * 0.3) or size <= 6:
                break
            size -= 0.5
        widths = [max(desc, 60.0) if w == 0.0 else w for w in widths]
        lead = size * (self.s.leading / self.s.size)
        xs = [self.left]
        for w in widths[:-1]:
            xs.append(xs[-1] + w)

        top = [y]

        def vlines(bottom: float) -> None:
            if self.s.grid == "grid":
                self.c.setLineWidth(0.3)
                for x in [self.left, *xs[1:], self.right]:
                    self.c.line(x, top[0] + size * 0.35, x, bottom + size * 0.35)

        def draw_header(y: float) -> float:
            top[0] = y
            h = lead + PAD
            if self.s.grid in ("header_fill", "zebra"):
                self.pen.fill(self.left, y - h + size * 0.35, avail, h, self.s.accent)
            for col, head, x, w in zip(cols, headers, xs, widths, strict=True):
                tx = x + w - PAD if col.align == "right" else x + PAD
                self.pen.text(tx, y - lead + size * 0.2, head, bold=True, size=size, align=col.align)
            y -= h
            if self.s.grid != "none":
                self.pen.rule(self.left, y + size * 0.35, self.right, width=0.8)
            return y

        y = draw_header(y)
        for index, row in enumerate(self.b.rows):
            cells = {c.key: self.pen.wrap(self.cell_text(row, c.key), w - 2 * PAD, size=size) if c.key == "description"
                     else [self.cell_text(row, c.key)] for c, w in zip(cols, widths, strict=True)}  # fmt: skip
            h = max(len(v) for v in cells.values()) * lead + PAD
            if y - h < self.bottom:
                vlines(y)
                self.new_page()
                y = draw_header(self.continuation())
            if self.s.grid == "zebra" and index % 2:
                self.pen.fill(self.left, y - h + size * 0.35, avail, h, 0.95)
            for col, x, w in zip(cols, xs, widths, strict=True):
                tx = x + w - PAD if col.align == "right" else x + PAD
                for i, line in enumerate(cells[col.key]):
                    gray = 0.35 if col.key == "description" and i > 0 and line == row.get("detail") else 0.0
                    self.pen.text(
                        tx, y - lead * (i + 1) + size * 0.2, line, size=size, align=col.align, gray=gray
                    )
            y -= h
            if self.s.grid in ("grid", "rules"):
                self.pen.rule(
                    self.left,
                    y + size * 0.35,
                    self.right,
                    width=0.3,
                    gray=0.6 if self.s.grid == "rules" else 0,
                )
        vlines(y)
        if self.s.grid in ("none", "zebra", "header_fill"):
            self.pen.rule(self.left, y + size * 0.35, self.right, width=0.6)
        return y

    def new_page(self) -> None:
        self.c.showPage()

    def continuation(self) -> float:
        y = self.height - self.s.margin * 0.8
        number = self.b.meta[0][1] if self.b.meta else ""
        self.fit(self.left, y, self.b.issuer.lines[0], (self.right - self.left) / 2, bold=True)
        right = f"{self.b.title or ''} {number} ({self.b.continued})".strip()
        self.fit(self.right, y, right, (self.right - self.left) / 2, align="right", size=self.small)
        return y - self.s.leading * 2

    # -- totals, tax table, notes
    def totals(self, y: float) -> float:
        lines = self.b.totals
        lead = self.s.leading * 1.2
        table_h = (len(self.b.tax_table) + 1) * self.s.leading
        need = len(lines) * lead + PAD * 3
        if y - max(need, table_h) < self.bottom:
            self.new_page()
            y = self.continuation()
        start = y
        colon = self.s.colon

        def size_of(strong: bool) -> float:
            return self.s.size * (1.15 if strong else 1.0)

        value_w = max([self.pen.width(v, bold=st, size=size_of(st)) for _, v, st in lines] or [0])
        label_w = max([self.pen.width(t + colon, bold=st, size=size_of(st)) for t, _, st in lines] or [0])
        label_x = max(self.left, self.right - value_w - 18 - label_w)
        if self.s.totals_box and lines:
            self.pen.box(label_x - PAD * 2, y - need + lead * 0.6, self.right - label_x + PAD * 4, need)
        for label, value, strong in lines:
            y -= lead
            if strong and self.rng.random() < 0.5:
                self.pen.rule(label_x, y + lead * 0.8, self.right, width=0.6)
            self.pen.text(label_x, y, label + colon, bold=strong, size=size_of(strong))
            self.pen.text(self.right, y, value, bold=strong, size=size_of(strong), align="right")
        if self.b.tax_table:
            table_w = 62.0 * len(self.b.tax_table[0])
            if self.left + table_w + 24 < label_x:
                self.tax_table(self.left, start)
            else:
                y = self.tax_table(self.right - table_w, y - lead)
        return min(y, start - table_h)

    def tax_table(self, x: float, y: float) -> float:
        cell = 62.0
        for r, row in enumerate(self.b.tax_table):
            y -= self.s.leading
            for i, text in enumerate(row):
                self.pen.text(x + cell * (i + 1) - PAD, y, text, bold=r == 0, size=self.small, align="right")
            if r == 0:
                self.pen.rule(x, y - 3, x + cell * len(row), width=0.4)
        return y

    def notes(self, y: float) -> None:
        width = self.right - self.left
        for note in self.b.notes:
            lines = self.pen.wrap(note, width)
            if y - len(lines) * self.s.leading < self.bottom:
                self.new_page()
                y = self.continuation()
            for line in lines:
                y -= self.s.leading
                self.pen.text(self.left, y, line)
            y -= self.s.leading * 0.3

    # -- footer on every page
    def prepare_footer(self) -> list[str]:
        parts = list(self.b.footer)
        if self.footer_columns:
            return [""] * max(len(self.b.issuer.lines), len(self.b.issuer_contact), len(parts))
        lines: list[str] = []
        for part in parts:
            joined = f"{lines[-1]}{self.separator}{part}" if lines else part
            if lines and self.pen.width(joined, size=self.small) < self.right - self.left:
                lines[-1] = joined
            else:
                lines.append(part)
        return lines

    def decorate(self, canvas: Canvas, page: int, pages: int) -> None:
        pen = Pen(canvas, self.s)
        y = self.s.margin * 0.6 + len(self.footer_lines) * self.small * 1.25
        self.draw_footer(pen, y)
        if pages > 1 or self.s.page_label_always:
            label = self.b.page_label.format(p=page, n=pages)
            pen.text(self.right, self.s.margin * 0.45, label, size=self.small, align="right")

    def draw_footer(self, pen: Pen, y: float) -> None:
        center = (self.left + self.right) / 2
        if self.footer_lines:
            pen.rule(self.left, y + self.small * 0.6, self.right, width=0.3, gray=0.5)
        for line in self.footer_lines:
            pen.text(center, y - self.small * 0.6, line, size=self.small, align="center", gray=0.2)
            y -= self.small * 1.25
