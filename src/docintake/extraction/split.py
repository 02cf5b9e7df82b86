"""Where one file holds several documents: page ranges of the logical documents, in order.

Offices scan a stack of invoices into one PDF (or one multi-page TIFF); each must become its own
document, while a three-page invoice must stay one. Page 1 always starts a document; every later
page either starts one or continues the current one, decided by the first of these signals that
speaks, strongest first (so when they disagree the earlier one wins):

1. an explicit page marker ("Page 2 of 3", "Seite 1 von 2", "Página 1 de 2", "Page 1/2"): page 1
   starts, page k > 1 continues. It is printed by the issuer's own software for exactly this
   purpose, so it beats a title repeated on every page and a number missing from a page;
2. the document number (after "Invoice No", "Rechnungsnummer", "N° facture", "Factuurnummer", ...)
   compared with the current document's number (the last one seen in it, so a middle page without
   the number changes nothing): a different number starts, the same number continues;
3. a carry-forward line ("carried forward", "Übertrag", "suma y sigue", "à reporter") at the
   bottom of the previous page or the top of this one: the table goes on;
4. a header (a document-type title in the top quarter of the page, or a number when the current
   document has none) after a page that closed a document (totals at its bottom, or "page N of N")
   starts; a title of another type than the current document's starts (an invoice followed by its
   delivery note); the same title after a page without totals continues (a letterhead repeated on
   every page of one invoice).

Nothing said means continuation: splitting one document in two loses its totals, while two
documents kept together are still visible to a reviewer. A page without words (a separator sheet,
the blank back of a duplex scan) belongs to the document before it and is never a document of its
own; a leading blank page belongs to the first document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from docintake.extraction.classify import fold, rows, title_of
from docintake.extraction.layout import Line, page_lines
from docintake.pipeline.model import PageText

HEADER_ZONE = 0.25  # titles are looked for above this fraction of the page
TOTALS_ZONE = 0.4  # totals below this fraction of the page close a document

_PAGE_WORD = r"(?<![a-z])(?:page|pag|pg|pagina|seite|blatt|hoja|folha|blad|feuille|foglio)"
_PAGE_OF = re.compile(
    _PAGE_WORD + r"\.?\s*:?\s*(\d{1,3})\s*(?:of|de|di|van|von|sur|da|do|/)\s*(\d{1,3})(?!\d)"
)
_PAGE_ONLY = re.compile(r"^\W*" + _PAGE_WORD + r"\.?\s*:?\s*(\d{1,3})\W*$")

# A document's own number: the label names the document ("Invoice No", "Rechnungsnummer",
# "N° facture"), or is a bare "No"/"Nº"/"Numero" opening the line. Order and customer numbers are
# not the document's, so their labels are not here.
_DOC = (
    r"(?:invoice|inv|tax invoice|receipt|credit note|credit memo|statement|delivery note|packing slip|"
    r"document|doc|rechnung|gutschrift|lieferschein|beleg|kassenbon|facture|avoir|bon de livraison|"
    r"factura|recibo|albaran|abono|fattura|ricevuta|scontrino|ddt|fatura|factuur|creditnota|pakbon|"
    r"nota de credito|nota di credito|nota de entrega|purchase order|orden de compra|bon de commande)"
)
_NO = r"(?:no|nr|n|nro|num|number|numero|nummer|#|n°|no°)"
_DOC_NUMBER = re.compile(
    r"(?:(?<![a-z])"
    + _DOC
    + r"s?\b\s*-?\s*"
    + _NO  # invoice no, rechnungs-nr, factura n.
    + r"|(?<![a-z])"
    + _DOC
    + r"s?(?:nummer|nr)\b"  # rechnungsnummer, factuurnummer
    + r"|(?<![a-z0-9])"
    + _NO
    + r"\.?\s*(?:de |du |d ?' ?|of |der )?"
    + _DOC
    + r"\b"  # n° facture
    + r"|^\W*"
    + _NO
    + r"(?=[\s.:#°]))"  # a bare "No. 123" opening a line
    + r"[\s.:#°-]*((?:[a-z]{0,6}[-/]?)?\d[\w\-/.]*)"
)
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_TOTALS = re.compile(
    r"\b(?:total|totals|grand total|amount due|balance due|total due|gesamt|gesamtbetrag|summe|"
    r"endbetrag|rechnungsbetrag|zu zahlen|importe total|total a pagar|net a payer|totale|totaal|"
    r"te betalen|valor total|total geral|a pagar)\b[^\n]*\d"
)
_CARRY = re.compile(
    r"\b(?:carried forward|brought forward|continued|uebertrag|ubertrag|fortsetzung|suma y sigue|"
    r"suma anterior|a reporter|riporto|a riportare|continua|a transportar|transportado)\b"
)


@dataclass(frozen=True)
class PageSignals:
    blank: bool
    page_of: tuple[int, int | None] | None  # (k, n): "page k of n"; n None for a bare "Page k"
    number: str | None  # the document number printed on the page
    title: str | None  # the document type titled in the header zone
    closes: bool  # totals at the bottom, or the last page of "page k of n"
    carry: bool  # a carry-forward line at the bottom
    carried: bool  # a carry-forward line at the top


def _number(texts: Sequence[str]) -> str | None:
    for text in texts:
        for match in _DOC_NUMBER.finditer(text):
            value = match.group(1).rstrip(".-/")
            if len(value) >= 2 and not _DATE.match(value):
                return value
    return None


def signals(page: PageText) -> PageSignals:
    """What one page says about where it sits in a document."""
    lines: list[Line] = page_lines(page)
    if not lines:
        return PageSignals(True, None, None, None, False, False, False)
    row_lines = rows(lines)
    texts = [fold(" ".join(line.text for line in row)) for row in row_lines]
    tops = [row[0].box.y0 for row in row_lines]
    page_of: tuple[int, int | None] | None = None
    for text in texts:
        match = _PAGE_OF.search(text)
        if match and 1 <= int(match.group(1)) <= int(match.group(2)):
            page_of = (int(match.group(1)), int(match.group(2)))
            break
        only = _PAGE_ONLY.match(text)
        if only and page_of is None and int(only.group(1)) >= 1:
            page_of = (int(only.group(1)), None)
    titles = [found for line in lines if line.box.y0 < HEADER_ZONE and (found := title_of(line))]
    title = max(titles, key=lambda item: item[1])[0] if titles else None
    totals = any(_TOTALS.search(t) for t, top in zip(texts, tops, strict=True) if top >= TOTALS_ZONE)
    last_of = page_of is not None and page_of[0] == page_of[1]
    carry = any(_CARRY.search(t) for t, top in zip(texts, tops, strict=True) if top >= 0.6)
    carried = any(_CARRY.search(t) for t, top in zip(texts, tops, strict=True) if top < HEADER_ZONE)
    return PageSignals(False, page_of, _number(texts), title, totals or last_of, carry, carried)


@dataclass
class _Current:
    number: str | None
    title: str | None


def _starts(page: PageSignals, previous: PageSignals, current: _Current) -> bool:
    if page.page_of is not None:
        return page.page_of[0] == 1
    if page.number and current.number:
        return page.number != current.number
    if previous.carry or page.carried:
        return False
    header = page.title is not None or (page.number is not None and current.number is None)
    if header and previous.closes:
        return True
    return page.title is not None and page.title != current.title


def split_pages(pages: Sequence[PageText]) -> list[tuple[int, int]]:
    """Page ranges (1-based, inclusive) of the documents in ``pages``, covering every page in order."""
    if len(pages) <= 1:
        return [(1, len(pages))] if pages else []
    starts = [1]
    current: _Current | None = None
    previous: PageSignals | None = None
    for index, page in enumerate(pages, start=1):
        info = signals(page)
        if info.blank:
            continue
        if current is None or previous is None:
            current = _Current(info.number, info.title)
        elif _starts(info, previous, current):
            starts.append(index)
            current = _Current(info.number, info.title)
        else:
            current.number = info.number or current.number
            current.title = current.title or info.title
        previous = info
    ends = [start - 1 for start in starts[1:]] + [len(pages)]
    return list(zip(starts, ends, strict=True))
