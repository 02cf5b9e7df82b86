"""The till-roll layout: a narrow (80 or 58 mm) page as long as the receipt, everything stacked.

Thermal receipts have no columns to speak of: the label sits at the left edge and the amount
at the right, the shop header is centred, and the page is exactly as long as the content. The
lines are laid out first, then the page is created at the measured height.
"""

from __future__ import annotations

import io
import random

from reportlab.pdfgen.canvas import Canvas

from training.synthetic.content import SyntheticDocument
from training.synthetic.draw import Pen, Style, pick_fonts

MM = 72 / 25.4
Op = tuple[str, str, str, bool]  # kind (center | lr | left | rule | gap), left text, right text, bold


def till_style(rng: random.Random) -> Style:
    font, bold = pick_fonts(rng, weights=(4, 1, 4, 2, 0, 2, 3))
    width = rng.choice((80 * MM, 80 * MM, 76 * MM, 58 * MM))
    size = rng.choice((7.0, 7.5, 8.0, 8.5)) if width > 70 * MM else rng.choice((6.0, 6.5, 7.0))
    return Style(
        family="till",
        page=(width, 0.0),
        margin=rng.choice((3 * MM, 4 * MM, 5 * MM)),
        font=font,
        bold=bold,
        size=size,
        leading=size * rng.choice((1.2, 1.3)),
        grid="none",
        meta_style="left",
        upper_headers=False,
        col_order="as_is",
        totals_box=False,
        colon=rng.choice((":", "")),
        accent=0.9,
        page_label_always=False,
        title_size=size * 1.4,
    )


def render_till(doc: SyntheticDocument, style: Style, rng: random.Random) -> bytes:
    b = doc.blocks
    width = style.page[0]
    probe = Pen(Canvas(io.BytesIO()), style)
    inner = width - 2 * style.margin
    ops: list[Op] = []
    rule_char = rng.choice(("-", "=", "line"))

    def rule() -> None:
        ops.append(("rule", rule_char, "", False))

    if b.title and rng.random() < 0.4:
        ops.append(("center", b.title, "", True))
    for i, line in enumerate(b.issuer.lines):
        ops.append(("center", line, "", i == 0))
    for line in b.issuer_contact:
        ops.append(("center", line, "", False))
    if b.title and not any(op[1] == b.title for op in ops):
        ops += [("gap", "", "", False), ("center", b.title, "", True)]
    rule()
    for label, value in b.meta:
        if not label:
            ops.append(("left", value, "", False))
        elif rng.random() < 0.5:
            ops.append(("left", f"{label}{style.colon} {value}", "", False))
        else:
            ops.append(("lr", label + style.colon, value, False))
    rule()
    detail_first = rng.random() < 0.4
    for row in b.rows:
        amount = row.get("amount", "")
        if row.get("tax_code"):
            amount = f"{amount} {row['tax_code']}"
        detail = row.get("detail")
        if detail and detail_first:
            ops.append(("left", "  " + detail, "", False))
        desc_lines = probe.wrap(row.get("description", ""), inner - probe.width(amount) - 8)
        for j, line in enumerate(desc_lines):
            ops.append(("lr", line, amount if j == len(desc_lines) - 1 else "", False))
        if detail and not detail_first:
            ops.append(("left", "  " + detail, "", False))
    rule()
    for label, value, strong in b.totals:
        ops.append(("lr", label + (style.colon if rng.random() < 0.3 else ""), value, strong))
    if b.tax_table:
        rule()
        for r, cells in enumerate(b.tax_table):
            ops.append(("cells", "\t".join(cells), "", r == 0))
    if b.notes or b.footer:
        rule()
    for line in [*b.notes, *b.footer]:
        for part in probe.wrap(line, inner):
            ops.append(("center", part, "", False))

    lead = style.leading
    heights = {"gap": lead * 0.5, "rule": lead * 0.8}
    height = sum(heights.get(op[0], lead * (1.25 if op[3] else 1.0)) for op in ops) + 2 * style.margin + lead
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=(width, height), invariant=1, pageCompression=1, initialFontName=style.font)
    pen = Pen(canvas, style)
    left, right = style.margin, width - style.margin
    y = height - style.margin - lead * 0.5
    for kind, text, value, bold in ops:
        if kind in heights:
            y -= heights[kind]
            if kind == "rule":
                if rule_char == "line":
                    pen.rule(left, y + lead * 0.4, right, width=0.4)
                else:
                    count = int(inner / max(pen.width(rule_char), 1.0))
                    pen.text(left, y + lead * 0.2, rule_char * count, gray=0.3)
            continue
        size = style.size * (1.2 if bold and kind == "lr" else 1.0)
        y -= lead * (1.25 if bold else 1.0)
        if kind == "center":
            fitted = size
            while fitted > 4 and pen.width(text, bold=bold, size=fitted) > inner:
                fitted -= 0.25
            pen.text(width / 2, y, text, bold=bold, size=fitted, align="center")
        elif kind == "left":
            pen.text(left, y, text, bold=bold, size=size)
        elif kind == "lr":
            pen.text(right, y, value, bold=bold, size=size, align="right")
            room = inner - pen.width(value, bold=bold, size=size) - 4
            fitted = size
            while fitted > 4 and pen.width(text, bold=bold, size=fitted) > room:
                fitted -= 0.25
            pen.text(left, y, text, bold=bold, size=fitted)
        else:  # cells: spread over the width, first left, others right-aligned
            cells = text.split("\t")
            step = inner / len(cells)
            for i, cell in enumerate(cells):
                if i == 0:
                    pen.text(left, y, cell, bold=bold, size=style.size * 0.9)
                else:
                    pen.text(left + step * (i + 1), y, cell, bold=bold, size=style.size * 0.9, align="right")
    canvas.setTitle(b.title or "")
    canvas.showPage()
    canvas.save()
    return buf.getvalue()
