"""Tax lines: rows of a VAT summary table and "VAT 19% ... 19.00" style lines.

Design choices:

* A VAT summary table is read like an items table (``tables``): a header row with two of rate,
  base and tax columns gives the cells of the next few rows on that page; an items header is
  never taken for one. Without such a header, a row with a tax word and a rate is a tax line
  unless it is a total ("Total incl. GST 6% 106.00"; "Total VAT 19% 19.00" is still a tax line).
* Arithmetic is evidence: base x rate = tax decides which amount is which when a row prints two
  or three, and overrides misread columns; "auf 100,00" / "on 100.00" announces the base. A rate
  above 30% is an OCR error, not a tax rate.
* The same rate, base and tax printed twice (summary table and footer) is reported once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from docintake.extraction.cells import (
    _cell_amount,
    _cell_text,
    _cells,
    _Column,
    _column,
    _header,
    _parse_rate,
    _Token,
    _tokens,
)
from docintake.extraction.layout import Line, union
from docintake.extraction.model import TaxLine
from docintake.extraction.normalize import find_amounts, format_amount
from docintake.extraction.rows import _fold_tokens, _phrases, _plain, _Row, _totalish, _visual_rows
from docintake.extraction.tables import RATE, TAX_WORDS, _item_header
from docintake.pipeline.model import Box

# fmt: off
TAX_COLUMNS: dict[str, tuple[str, ...]] = {
    "rate": (
        "rate", "tax rate", "vat rate", "vat %", "tax %", "gst %", "%", "satz", "steuersatz", "mwst satz",
        "mwst-satz", "ust satz", "taux", "taux tva", "tva %", "tipo", "tipo iva", "iva %", "tasa",
        "aliquota", "aliquota iva", "tarief", "btw %", "btw tarief",
    ),
    "base": (
        "net", "nett", "netto", "net amount", "nettobetrag", "base", "base ht", "base imponible",
        "imponibile", "taxable", "taxable amount", "amount", "amount excl", "excl", "ht", "montant ht",
        "grondslag", "bedrag excl", "valor base", "base tributável",
    ),
    "tax": (
        "vat", "tax", "gst", "sst", "mwst", "ust", "tva", "iva", "btw", "steuer", "steuerbetrag",
        "mwst betrag", "vat amount", "tax amount", "gst amount", "montant tva", "cuota", "cuota iva",
        "importe iva", "imposta", "importo iva", "valor iva", "btw bedrag",
    ),
    "gross": ("gross", "brutto", "total", "ttc", "total ttc", "totale", "gesamt", "bruto", "amount incl"),
}
# fmt: on
BASE_MARK = re.compile(
    r"(?:\b(?:on|of|auf|von|sur|su|sobre|over|op|base)|\bs/)\s*:?\s*(?:[€$£]|eur|usd)?\s*$", re.I
)
TAX_PREFIXES = ("btw", "mwst", "vat", "gst")  # "BTW-bedrag", "MwSt-Betrag"
MAX_RATE = Decimal(30)  # no VAT/GST/sales tax rate is higher; "84%" is an OCR error
TAX_PHRASES = _phrases(TAX_COLUMNS)


def _tax_line(row: _Row, hint: str | None, columns: list[_Column]) -> TaxLine | None:
    toks = _fold_tokens(row.text)
    taxed = [
        i for i, t in enumerate(toks) if t in TAX_WORDS or t.endswith("steuer") or t.startswith(TAX_PREFIXES)
    ]
    if not taxed and not columns:
        return None
    before = toks[: taxed[0]] if taxed else _fold_tokens(row.lines[0].text)
    if len(before) > 1 and _totalish(before, start_only=not taxed):
        return None  # "Total incl. GST 6% 106.00" is a total; "Total VAT 19% 19.00" is still a tax line
    rate: Decimal | None = None
    amounts: list[tuple[Decimal, Box, bool]] = []  # (value, box, announced as the base: "auf 100,00")
    for line in row.lines:
        found = RATE.search(line.text)
        if found and rate is None:
            rate = Decimal(found[1].replace(",", "."))
        for start, end, value in find_amounts(line.text, hint):
            if not (found and start < found.end() and end > found.start()):
                marked = BASE_MARK.search(line.text[:start]) is not None
                amounts.append((value, line.span_box(start, end), marked))
    base = tax = None
    if columns:
        cells = _cells(_tokens(row, hint, columns), columns)
        if rate is None:
            rate_text = _parse_rate(_cell_text(cells, "rate"))
            rate = Decimal(rate_text) if rate_text else None
        base, tax = _cell_amount(cells, "base"), _cell_amount(cells, "tax")
        amounts = [a for a in amounts if _column(_Token("", a[1], a[0], True), columns).kind != "rate"]
    if rate is None or rate > MAX_RATE or (not amounts and tax is None):
        return None
    values = [v for v, _, m in amounts if not m]

    def fits(b: Decimal, t: Decimal) -> bool:
        return abs(b * rate / 100 - t) <= max(Decimal("0.02"), abs(t) / 200)

    pairs = [
        (b, t) for i, b in enumerate(values) for j, t in enumerate(values) if i != j and b and fits(b, t)
    ]
    announced = next((v for v, _, m in amounts if m), None)
    if base is not None and tax is not None and pairs and (not base or not fits(base, tax)):
        base, tax = pairs[0]  # the columns were misread; the arithmetic was not
    elif base is None and tax is None and announced is not None:
        base = announced
        tax = next((t for t in values if fits(announced, t)), values[-1] if len(values) == 1 else None)
    elif base is None and tax is None:
        if pairs:
            base, tax = pairs[0]
        elif len(values) <= 2:  # one amount is the tax; of two, the smaller
            base, tax = (max(values) if len(values) == 2 else None), min(values)
        else:
            tax = min(values)
    checked = base is not None and tax is not None and fits(base, tax)
    score = (
        0.9 if checked else 0.65 if base is None and len(values) == 1 else 0.5 if len(values) == 2 else 0.4
    )
    return TaxLine(
        rate=_plain(rate),
        base_amount=format_amount(base) if base is not None else None,
        tax_amount=format_amount(tax) if tax is not None else None,
        text=row.text,
        confidence=score * (0.5 + 0.5 * row.confidence),
        page=row.page,
        box=row.box,
    )


def _tax_header(row: _Row) -> list[_Column]:
    """A VAT summary header: two of rate, base and tax columns, and not an items header, unless it
    names all three and no quantity ("Rate Net Service Tax Gross" on a till receipt)."""
    header = _header(row, TAX_PHRASES, frozenset({"base", "tax"}))
    kinds = {c.kind for c in header} & {"rate", "base", "tax"}
    if len(kinds) < 2:
        return []
    items = {c.kind for c in _item_header(row)}
    return header if not items or (len(kinds) == 3 and "quantity" not in items) else []


def _span(columns: list[_Column]) -> Box:
    return (
        union(c.box for c in columns if c.kind != "other")
        if any(c.kind != "other" for c in columns)
        else columns[0].box
    )


def extract_tax_lines(lines: Sequence[Line], decimal_hint: str | None = None) -> list[TaxLine]:
    """Rows of a VAT summary table and "VAT 19% ... 19.00" style lines, without duplicates."""
    out: list[TaxLine] = []
    seen: set[tuple[str | None, ...]] = set()
    columns: list[_Column] = []
    budget, page = 0, 0
    for row in _visual_rows(lines):
        header = _tax_header(row)
        if header:
            columns, budget, page = header, 8, row.page
            continue
        if row.page != page or budget <= 0:
            columns = []
        budget -= 1
        found = _tax_line(row, decimal_hint, columns)
        if columns and found is None and _totalish(_fold_tokens(row.text)) and row.box.x0 < _span(columns).x1:
            columns = []  # a totals row under the table ends it; one beside it (a till's total) does not
        if found is not None and (key := (found.rate, found.base_amount, found.tax_amount)) not in seen:
            seen.add(key)
            out.append(found)
    return out
