"""Layout families for full-page documents: where the parties, title and meta block go.

Four families cover the common shapes of business paperwork: *classic* (supplier top left,
title top right), *modern* (big title, two-column parties, label-above meta), *compact* (centred
letterhead, right-aligned key/values) and *letterhead* (DIN-style window envelope address with
the supplier's details in a three-column footer). Within a family the style (fonts, sizes,
margins, table lines, column order, label placement) varies independently, so no two seeds look
alike and a model cannot key on absolute positions.
"""

from __future__ import annotations

from training.synthetic.draw import Pen
from training.synthetic.page import PageLayout


class Classic(PageLayout):
    def header(self) -> float:
        s, b = self.s, self.b
        half = (self.right - self.left) / 2
        y = self.top - s.size * 1.3
        issuer_bottom = self.party(self.left, y, b.issuer, half - 10, name_scale=1.4, extra=b.issuer_contact)
        ty = self.top - s.title_size * 0.8
        if b.title:
            self.fit(self.right, ty, b.title, half, bold=True, size=s.title_size, align="right")
        meta_w = min(self.meta_width(), half)
        meta_bottom = self.meta(self.right - meta_w, ty - s.leading * 2, meta_w, style="left")
        ry = min(issuer_bottom, self.top - 120) - s.leading * 1.5
        ry_end = self.party(self.left, ry, b.recipient, half - 10) if b.recipient else ry
        oy = min(ry, meta_bottom - s.leading)
        for other in b.other_parties:
            oy = self.party(self.left + half + 10, oy, other, half - 10, name_scale=1.0) - s.leading
        return min(ry_end, oy, meta_bottom) - s.leading


class Modern(PageLayout):
    def header(self) -> float:
        s, b = self.s, self.b
        width = self.right - self.left
        half = width / 2
        title_y = self.top - s.title_size
        if b.title:
            self.fit(self.left, title_y, b.title, half, bold=True, size=s.title_size * 1.15)
        iy = self.party(
            self.right, self.top - s.size, b.issuer, half - 10, align="right", extra=b.issuer_contact
        )
        y = min(iy, title_y - s.leading) - s.leading * 0.5
        self.pen.fill(self.left, y, width, 2.0, 0.3)
        y -= s.leading * 1.8
        left = self.party(self.left, y, b.recipient, half - 10) if b.recipient else y
        right = y
        for other in b.other_parties:
            right = self.party(self.left + half + 10, right, other, half - 10, name_scale=1.0) - s.leading
        y = min(left, right) - s.leading
        style = "above" if s.meta_style != "inline" else "inline"
        return self.meta(self.left, y, width, style=style) - s.leading * 0.5


class Compact(PageLayout):
    def header(self) -> float:
        s, b = self.s, self.b
        width = self.right - self.left
        center = self.left + width / 2
        y = self.top - s.size * 1.5
        lines = b.issuer.lines
        self.fit(center, y, lines[0], width, bold=True, size=s.size * 1.6, align="center")
        y -= s.leading * 1.5
        self.fit(center, y, self.separator.join(lines[1:]), width, align="center")
        y -= s.leading
        if b.issuer_contact:
            self.fit(center, y, self.separator.join(b.issuer_contact), width, size=self.small, align="center")
            y -= s.leading
        self.pen.rule(self.left, y, self.right, width=0.8)
        y -= s.leading * 2
        if b.title:
            self.fit(self.left, y, b.title, width / 2, bold=True, size=s.title_size * 0.8)
        meta_w = min(self.meta_width(), width / 2)
        meta_bottom = self.right_aligned_meta(y, meta_w)
        ry = y - s.title_size * 0.8 - s.leading
        if b.recipient:
            ry = self.party(self.left, ry, b.recipient, width / 2 - 10)
        for other in b.other_parties:
            ry = self.party(self.left, ry - s.leading * 0.5, other, width / 2 - 10, name_scale=1.0)
        return min(ry, meta_bottom) - s.leading

    def right_aligned_meta(self, y: float, width: float) -> float:
        if self.s.meta_style == "above":
            return self.meta(self.right - width, y, width, style="above")
        values = max([self.pen.width(v) for _, v in self.b.meta] or [0])
        for label, value in self.b.meta:
            self.pen.text(self.right, y, value, align="right")
            self.fit(self.right - values - 8, y, label + self.s.colon, width, bold=True, size=self.s.size,
                     align="right")  # fmt: skip
            y -= self.s.leading
        return y


class Letterhead(PageLayout):
    footer_columns = True

    def header(self) -> float:
        s, b = self.s, self.b
        width = self.right - self.left
        name = b.issuer.lines[0]
        align = self.rng.choice(("left", "right"))
        x = self.left if align == "left" else self.right
        self.fit(
            x,
            self.top - s.title_size * 0.7,
            name,
            width * 0.7,
            bold=True,
            size=s.title_size * 0.75,
            align=align,
        )
        window = self.height - 150.0
        sender = self.separator.join(b.issuer.lines)
        self.fit(self.left, window + s.leading, sender, width * 0.5, size=s.size * 0.65, gray=0.3)
        ry = (
            self.party(self.left, window - s.leading * 0.5, b.recipient, width * 0.5)
            if b.recipient
            else window
        )
        meta_w = min(self.meta_width(), width * 0.45)
        my = self.meta(
            self.right - meta_w, window, meta_w, style="left" if s.meta_style != "above" else "above"
        )
        y = min(ry, my) - s.leading * 2
        for other in b.other_parties:
            y = self.party(self.left, y, other, width * 0.5, name_scale=1.0) - s.leading * 0.5
        if b.title:
            self.fit(self.left, y, b.title, width, bold=True, size=s.title_size * 0.8)
            y -= s.title_size * 0.8
        return y

    def draw_footer(self, pen: Pen, y: float) -> None:
        b = self.b
        cols = [b.issuer.lines, b.issuer_contact, b.footer]
        cols = [c for c in cols if c]
        if not cols:
            return
        width = (self.right - self.left) / len(cols)
        pen.rule(self.left, y + self.small * 0.6, self.right, width=0.3, gray=0.5)
        for i, lines in enumerate(cols):
            ly = y - self.small * 0.6
            for line in lines:
                size = self.small
                while size > 4.5 and pen.width(line, size=size) > width - 6:
                    size -= 0.25
                pen.text(self.left + i * width, ly, line, size=size, gray=0.2)
                ly -= self.small * 1.25


FAMILIES: dict[str, type[PageLayout]] = {
    "classic": Classic,
    "modern": Modern,
    "compact": Compact,
    "letterhead": Letterhead,
}
