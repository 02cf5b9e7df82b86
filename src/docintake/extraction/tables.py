"""Line items: tables read through the columns their header row announces.

Design choices:

* The header row is the schema. A row holding two or more column words (seven languages, matched
  on accent-stripped, case-folded tokens, longest phrase first so "Unit price" is not "Unit")
  and little else gives the columns. A header owns its cell from its left edge to the next
  header, and each token of a later row (an amount from ``find_amounts``, a bare number, or a
  run of words) goes to the cell where its right edge (numbers, usually right-aligned under a
  left-aligned header) or its left edge (words) falls. Reading by column, not by position in the
  text, is what tells a quantity from a unit price when a cell is empty; a net amount column
  ("Subtotal", "Netto") is preferred to a gross one for the item amount. The same header and
  cell reading serves the VAT summary tables of ``taxlines``.
* A row with an amount (or a quantity and a price) starts an item; a row with words only is a
  wrapped description, kept pending and given to the next item when that item has no text of
  its own (description printed above its numbers), else to the previous one. The table ends at
  a totals row, a large gap, or the page end unless the next page repeats the header or starts
  with item rows ("carried forward" rows are skipped).
* No header, no table: ``extract_line_items`` then falls back to the receipt item rows of
  ``receipts``. Rows, folded tokens and the qty x price check are shared, in ``rows``.
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
    _header,
    _parse_quantity,
    _parse_rate,
    _tokens,
)
from docintake.extraction.layout import Line
from docintake.extraction.model import LineItem
from docintake.extraction.normalize import format_amount, parse_amount
from docintake.extraction.receipts import _receipt_items
from docintake.extraction.rows import (
    CENTS,
    TIMES,
    _adjacent,
    _Draft,
    _finish,
    _fold_tokens,
    _phrases,
    _plain,
    _Row,
    _totalish,
    _visual_rows,
)

# fmt: off
ITEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "description": (
        "description", "item", "items", "item description", "article", "product", "service", "details",
        "particulars", "designation", "bezeichnung", "artikelbezeichnung", "beschreibung", "artikel",
        "artikelbeschreibung", "leistung", "leistungsbeschreibung", "descripción", "concepto", "producto", "artículo",
        "libellé", "produit", "descrizione", "articolo", "prodotto", "denominazione", "descrição",
        "produto", "artigo", "omschrijving", "artikel omschrijving", "designação",
    ),
    "quantity": (
        "qty", "quantity", "hours", "hrs", "menge", "anz", "anzahl", "cantidad", "cant", "quantité",
        "qté", "quantità", "q.tà", "qtà", "quantidade", "qtd", "qtde", "quant", "aantal", "aant", "uds",
    ),
    "unit_price": (
        "unit price", "price", "rate", "unit cost", "price per unit", "u/p", "einzelpreis", "e-preis",
        "ep", "preis", "stückpreis", "precio", "precio unitario", "prix unitaire", "prix", "p.u.",
        "p.u. ht", "prezzo", "prezzo unitario", "preço unitário", "preço", "valor unitário", "prijs",
        "stukprijs", "eenheidsprijs", "precio unit", "preço unit", "prezzo unit", "p unit", "pu", "tarief",
    ),
    "amount": (
        "amount", "total", "subtotal", "sub total", "line total", "total price", "net amount", "amount excl", "net", "betrag",
        "gesamt", "gesamtpreis", "gesamtbetrag", "netto", "nettobetrag", "importe", "montant",
        "montant ht", "total ht", "importo", "totale", "valor", "valor total", "montante", "bedrag", "totaal",
    ),
    "tax_rate": (
        "tax", "vat", "vat %", "vat rate", "tax %", "tax rate", "mwst", "mwst %", "mwst satz", "ust",
        "ust %", "steuer", "steuersatz", "iva", "iva %", "tva", "tva %", "taux tva", "btw", "btw %",
        "gst", "%",
    ),
    "unit": ("unit", "uom", "einheit", "me", "unidad", "ud", "unité", "u", "unità", "um", "eenheid", "unidade", "unid", "un"),
    "product_code": (
        "code", "sku", "art.-nr.", "art nr", "artikelnr", "artikelnummer", "art no", "item no", "item #",
        "item code", "product code", "part no", "ref", "réf", "reference", "référence", "código", "cod",
        "codice", "cod art", "referencia", "ref.ª", "ean",
    ),
    "position": ("pos", "position", "#", "no", "nr", "n°", "line", "lfd nr", "lín", "ligne", "riga", "linha", "regel"),
    "other": ("discount", "disc %", "rabatt", "remise", "descuento", "dto", "sconto", "desconto", "korting"),
}
CARRIED = ("ubertrag", "carried forward", "brought forward", "carry forward", "a reporter", "report",
           "transporte", "riporto", "suma y sigue")
TAX_WORDS = frozenset(("vat", "tax", "gst", "sst", "mwst", "ust", "umsatzsteuer", "mehrwertsteuer", "iva", "tva",
                       "btw", "igic", "imposta", "impuesto", "steuer"))
# fmt: on
NUMERIC_KINDS = frozenset({"quantity", "unit_price", "amount", "tax_rate"})
RATE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s*%")
ITEM_PHRASES = _phrases(ITEM_COLUMNS)
CARRIED_KEYS = [tuple(_fold_tokens(p)) for p in CARRIED]
CARRIED_FILLER = frozenset(
    (
        "von",
        "seite",
        "page",
        "from",
        "de",
        "la",
        "pagina",
        "da",
        "van",
        "pag",
        "p",
        "s",
        "eur",
        "usd",
        "gbp",
        "chf",
        "a",
        "vom",
        "der",
        "previous",
        "to",
        "next",
    )
)


def _carried(tokens: list[str]) -> bool:
    """A "carried forward" row: the phrase first, then only numbers and page words ("Übertrag von
    Seite 1 1.234,56"), so "Transporte y manipulación" (also "carried forward" in Spanish) is an item."""
    key = next((k for k in CARRIED_KEYS if tuple(tokens[: len(k)]) == k), None)
    rest = [t for t in tokens[len(key) :] if not t.isdigit()] if key else []
    return key is not None and all(t in CARRIED_FILLER for t in rest)


def _item_header(row: _Row) -> list[_Column]:
    """An items header names a description, quantity or code column ("Rate Net GST Gross" is a VAT
    summary, "Price Amount" alone too little)."""
    columns = _header(row, ITEM_PHRASES, frozenset({"amount"}))
    kinds = {c.kind for c in columns}
    return columns if kinds & {"description", "quantity", "product_code"} else []


def _describe(draft: _Draft, rows: list[_Row], texts: list[str]) -> None:
    draft.rows.extend(rows)
    draft.rows.sort(key=lambda r: (r.page, r.box.y0))
    joined = " ".join(t for t in texts if t)
    draft.item.description = " ".join(filter(None, [draft.item.description, joined])) or None


def _table_row(
    row: _Row, columns: list[_Column], hint: str | None
) -> tuple[LineItem | None, str | None, bool]:
    """The item a row starts (None if it has no amount, nor a quantity and a price), the row's
    description text, and whether its numbers look like a table row's (a price, or cents)."""
    cells = _cells(_tokens(row, hint, columns), columns)
    amount, price = _cell_amount(cells, "amount"), _cell_amount(cells, "unit_price")
    quantity, unit = _parse_quantity(_cell_text(cells, "quantity"), hint)
    description = _cell_text(cells, "description")
    times = TIMES.search(description or "") if quantity is None else None
    if description and times and times["p"]:  # "2pc @ 9,89" printed in the description column
        quantity, unit = _plain(parse_amount(times["q"], hint) or Decimal(1)), times["u"]
        price = price if price is not None else parse_amount(times["p"], hint)
        description = (description[: times.start()] + description[times.end() :]).strip() or None
    numbers = [t for k in NUMERIC_KINDS for t in cells.get(k, []) if t.numeric]
    if amount is None and (quantity is None or price is None):
        return None, (None if numbers else description), False
    item = LineItem(
        description=description,
        product_code=_cell_text(cells, "product_code"),
        quantity=quantity,
        unit=_cell_text(cells, "unit") or unit,
        unit_price=format_amount(price) if price is not None else None,
        tax_rate=_parse_rate(_cell_text(cells, "tax_rate")),
        amount=format_amount(amount) if amount is not None else None,
    )
    tabular = price is not None or any(CENTS.search(t.text) for t in cells.get("amount", []))
    return item, description, tabular and bool(description or quantity)


def _table_items(rows: list[_Row], hint: str | None) -> list[LineItem]:
    drafts: list[_Draft] = []
    columns: list[_Column] = []
    pending: list[tuple[_Row, str]] = []  # description-only rows not yet given to an item
    seeking, page, last = False, 0, None

    def flush() -> None:
        if pending and drafts and _adjacent(drafts[-1].rows[-1], pending[0][0]):
            _describe(drafts[-1], [r for r, _ in pending], [t for _, t in pending])
        pending.clear()

    for row in rows:
        if row.page != page:
            flush()
            page, seeking = row.page, bool(columns)
        header = _item_header(row)
        if header:
            flush()
            columns, seeking, last = header, False, row
            continue
        tokens = _fold_tokens(row.text)
        if not columns or _carried(tokens):
            continue
        taxed = TAX_WORDS & set(tokens) and RATE.search(row.text)  # "VAT 19% ...": the items are over
        if taxed or any(_totalish(_fold_tokens(line.text), start_only=True) for line in row.lines):
            flush()
            columns = []
            if drafts and drafts[-1].item.description is None and _adjacent(drafts[-1].rows[-1], row, 0.0):
                drafts.pop()  # the amount of this totals row, printed a little higher than its label
            continue
        item, description, tabular = _table_row(row, columns, hint)
        if seeking and not (item and tabular):
            continue  # a new page: its header zone ("Invoice 1042") is not the table going on
        seeking = False
        if item is not None:
            draft = _Draft(item, [row])
            if description is None and pending and _adjacent(pending[-1][0], row):
                _describe(draft, [r for r, _ in pending], [t for _, t in pending])
                pending.clear()
            flush()
            drafts.append(draft)
            last = row
        elif description:
            if last is not None and (last.page != row.page or row.box.y0 - last.box.y1 > 3 * row.height):
                flush()
                columns = []  # far below the last row: the table has ended
                continue
            if pending and not _adjacent(pending[-1][0], row):
                flush()
            previous = drafts[-1] if drafts else None
            if (
                not pending
                and previous
                and previous.item.description is None
                and _adjacent(previous.rows[-1], row)
            ):
                _describe(previous, [row], [description])  # a cell centred lower than its numbers
            else:
                pending.append((row, description))
            last = row
    flush()
    return _finish(drafts, 0.6)


def extract_line_items(lines: Sequence[Line], decimal_hint: str | None = None) -> list[LineItem]:
    """Items of the table under an items header; failing that, the item rows of a receipt."""
    rows = _visual_rows(lines)
    return _table_items(rows, decimal_hint) or _receipt_items(rows, decimal_hint)
