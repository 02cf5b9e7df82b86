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
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise

from docintake.extraction.layout import Line, union
from docintake.extraction.model import LineItem
from docintake.extraction.normalize import find_amounts, format_amount, parse_amount
from docintake.extraction.receipts import _receipt_items
from docintake.extraction.rows import (
    CENTS,
    TIMES,
    _adjacent,
    _Draft,
    _finish,
    _fold_tokens,
    _has_phrase,
    _phrases,
    _plain,
    _Row,
    _totalish,
    _visual_rows,
)
from docintake.pipeline.model import Box, Word

# fmt: off
ITEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "description": (
        "description", "item", "items", "item description", "article", "product", "service", "details",
        "particulars", "designation", "bezeichnung", "artikelbezeichnung", "beschreibung", "artikel",
        "artikelbeschreibung", "leistung", "leistungsbeschreibung", "descripción", "concepto", "producto", "artículo",
        "libellé", "produit", "descrizione", "articolo", "prodotto", "denominazione", "descrição",
        "produto", "artigo", "omschrijving", "artikel omschrijving",
    ),
    "quantity": (
        "qty", "quantity", "hours", "hrs", "menge", "anz", "anzahl", "cantidad", "cant", "quantité",
        "qté", "quantità", "q.tà", "qtà", "quantidade", "qtd", "qtde", "aantal",
    ),
    "unit_price": (
        "unit price", "price", "rate", "unit cost", "price per unit", "u/p", "einzelpreis", "e-preis",
        "ep", "preis", "stückpreis", "precio", "precio unitario", "prix unitaire", "prix", "p.u.",
        "p.u. ht", "prezzo", "prezzo unitario", "preço unitário", "preço", "valor unitário", "prijs",
        "stukprijs", "eenheidsprijs",
    ),
    "amount": (
        "amount", "total", "subtotal", "sub total", "line total", "total price", "net amount", "amount excl", "net", "betrag",
        "gesamt", "gesamtpreis", "gesamtbetrag", "netto", "nettobetrag", "importe", "montant",
        "montant ht", "total ht", "importo", "valor", "valor total", "bedrag", "totaal",
    ),
    "tax_rate": (
        "tax", "vat", "vat %", "vat rate", "tax %", "tax rate", "mwst", "mwst %", "mwst satz", "ust",
        "ust %", "steuer", "steuersatz", "iva", "iva %", "tva", "tva %", "taux tva", "btw", "btw %",
        "gst", "%",
    ),
    "unit": ("unit", "uom", "einheit", "me", "unidad", "ud", "unité", "unità", "um", "eenheid", "unidade"),
    "product_code": (
        "code", "sku", "art.-nr.", "art nr", "artikelnr", "artikelnummer", "art no", "item no", "item #",
        "item code", "product code", "part no", "ref", "réf", "reference", "référence", "código", "cod",
        "codice", "referencia", "ean",
    ),
    "position": ("pos", "position", "#", "no", "nr", "n°", "line", "lfd nr"),
    "other": ("discount", "disc %", "rabatt", "remise", "descuento", "dto", "sconto", "desconto", "korting"),
}
NET_HEADERS = frozenset(("subtotal", "sub", "net", "netto", "ht", "excl", "nettobetrag"))  # a net amount column wins
CARRIED = ("ubertrag", "carried forward", "brought forward", "carry forward", "a reporter", "report",
           "transporte", "riporto", "suma y sigue")
TAX_WORDS = frozenset(("vat", "tax", "gst", "sst", "mwst", "ust", "umsatzsteuer", "mehrwertsteuer", "iva", "tva",
                       "btw", "igic", "imposta", "impuesto", "steuer"))
# fmt: on
NUMERIC_KINDS = frozenset({"quantity", "unit_price", "amount", "tax_rate"})
RATE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s*%")
NUMBER_WORD = re.compile(r"[-+(]?\d[\d.,'’]*\)?-?%?")
QUANTITY = re.compile(r"(?P<num>[-+]?\d[\d.,'’]*)\s*(?P<unit>[^\W\d_][^\d]{0,10})?")
ITEM_PHRASES = _phrases(ITEM_COLUMNS)
CARRIED_KEYS = [tuple(_fold_tokens(p)) for p in CARRIED]


@dataclass
class _Token:
    text: str
    box: Box
    value: Decimal | None = None  # an amount or a bare number
    numeric: bool = False


def _tokens(row: _Row, hint: str | None) -> list[_Token]:
    """Amounts (never across a gap wider than a space), bare numbers, and runs of words."""
    out: list[_Token] = []
    for line in row.lines:
        limit = 0.8 * line.height * (line.page_height / line.page_width if line.page_width else 1.0)
        used: set[int] = set()
        for start, end, value in find_amounts(line.text, hint):
            idx = [i for i, o in enumerate(line.offsets) if o < end and o + len(line.words[i].text) > start]
            words = [line.words[i] for i in idx]
            if not idx or used & set(idx) or any(b.box.x0 - a.box.x1 > limit for a, b in pairwise(words)):
                continue
            used.update(idx)
            out.append(_Token(" ".join(w.text for w in words), union(w.box for w in words), value, True))
        run: list[Word] = []
        for i, word in enumerate([*line.words, None]):
            number = word is not None and i not in used and NUMBER_WORD.fullmatch(word.text) is not None
            if run and (word is None or i in used or number or word.box.x0 - run[-1].box.x1 > 1.25 * limit):
                out.append(_Token(" ".join(w.text for w in run), union(w.box for w in run)))
                run = []
            if word is not None and number:
                out.append(_Token(word.text, word.box, parse_amount(word.text, hint), True))
            elif word is not None and i not in used:
                run.append(word)
    return sorted(out, key=lambda t: t.box.x0)


@dataclass
class _Column:
    kind: str
    box: Box
    net: bool = False  # the header says net ("Subtotal", "Netto"): preferred among amount columns


def _header(row: _Row, phrases: dict[tuple[str, ...], str], right: frozenset[str]) -> list[_Column]:
    """Columns of a header row (longest phrase first, within one segment), or [] if it is not one.
    A segment with no column word ("Discount" in a language we lack) still takes its x-range."""
    columns: list[_Column] = []
    total = matched = digits = 0
    for line in row.lines:
        words = [w for w in line.words if not any(c.isdigit() for c in w.text)]
        digits += len(line.words) - len(words)
        total += len(line.words)
        entries = [(tok, w) for w in words for tok in _fold_tokens(w.text)]
        found, i = 0, 0
        while i < len(entries):
            for n in (3, 2, 1):
                key = tuple(tok for tok, _ in entries[i : i + n])
                if len(key) == n and key in phrases:
                    hit = list({id(w): w for _, w in entries[i : i + n]}.values())
                    box, kind = union(w.box for w in hit), phrases[key]
                    last = columns[-1] if columns and found else None
                    if last and last.kind == kind and box.x0 - last.box.x1 < 3 * (box.y1 - box.y0):
                        last.box = union([last.box, box])  # "Item Description": one column
                    else:
                        columns.append(_Column(kind, box, net=bool(NET_HEADERS & set(key))))
                    found, matched, i = found + 1, matched + len(hit), i + n
                    break
            else:
                i += 1
        if not found:
            columns.append(_Column("other", line.box))
    kinds = {c.kind for c in columns} - {"position", "gross", "other"}
    if matched < 0.5 * total or digits > 1 or len(kinds) < 2:
        return []
    columns.sort(key=lambda c: c.box.x0)
    for kind in kinds:  # one column per kind; the others keep their x-range
        same = [c for c in columns if c.kind == kind]
        keep = next((c for c in same if c.net), same[-1]) if kind in right else same[0]
        for col in same:
            col.kind = kind if col is keep else "other"
    return columns


def _item_header(row: _Row) -> list[_Column]:
    columns = _header(row, ITEM_PHRASES, frozenset({"amount"}))
    kinds = {c.kind for c in columns}
    return columns if kinds & {"description", "quantity", "unit_price", "product_code"} else []


def _column(token: _Token, columns: list[_Column]) -> _Column:
    """A header spans its cell up to the next header: numbers belong where their right edge falls
    (they are right-aligned, often under a left-aligned header), words where their left edge does."""
    slack = min((token.box.x1 - token.box.x0) / 2, 0.03)
    edge = token.box.x1 - slack if token.numeric else token.box.x0 + slack
    return next((c for c in reversed(columns) if c.box.x0 <= edge), columns[0])


def _cells(tokens: list[_Token], columns: list[_Column]) -> dict[str, list[_Token]]:
    cells: dict[str, list[_Token]] = {}
    for token in tokens:
        cells.setdefault(_column(token, columns).kind, []).append(token)
    return cells


def _cell_text(cells: dict[str, list[_Token]], kind: str) -> str | None:
    text = " ".join(t.text for t in cells.get(kind, [])).strip()
    return text or None


def _cell_amount(cells: dict[str, list[_Token]], kind: str) -> Decimal | None:
    values = [t.value for t in cells.get(kind, []) if t.value is not None]
    return values[-1] if values else None


def _parse_quantity(text: str | None, hint: str | None) -> tuple[str | None, str | None]:
    match = QUANTITY.fullmatch(text.strip()) if text else None
    value = parse_amount(match["num"], hint) if match else None
    if match is None or value is None:
        return None, None
    return _plain(value), (match["unit"].strip() or None) if match["unit"] else None


def _parse_rate(text: str | None) -> str | None:
    match = re.search(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)(?![\d.,]*\d{3})", text or "")
    if match is None:
        return None
    try:
        return _plain(Decimal(match[1].replace(",", ".")))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return None


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
    cells = _cells(_tokens(row, hint), columns)
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
        if not columns or _has_phrase(tokens, CARRIED_KEYS):
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
