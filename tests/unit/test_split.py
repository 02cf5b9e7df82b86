"""Splitting one file into its logical documents: page markers, document numbers, titles, totals,
carry-forward lines and blank separator pages.

Pages are built from words placed by hand (``page``): each item is a line of text at the next line
position, ``(text, scale)`` for larger type, and a float moves to that height of the page.
"""

from __future__ import annotations

import pytest

from docintake.extraction.split import signals, split_pages
from docintake.pipeline.model import Box, PageText, Word

Item = str | tuple[str, float] | float


def page(*items: Item, number: int = 1) -> PageText:
    width, height = 595.0, 842.0
    words: list[Word] = []
    y, base = 0.04, 0.012
    for item in items:
        if isinstance(item, float):
            y = item
            continue
        text, scale = (item, 1.0) if isinstance(item, str) else item
        h = base * scale
        char = 0.55 * h * height / width
        x = 0.06
        for token in text.split():
            words.append(Word(token, Box(x, y, x + len(token) * char, y + h), 1.0))
            x += (len(token) + 1) * char
        y += h * 1.8
    return PageText(number, width, height, "text_layer", words)


def pages(*specs: tuple[Item, ...]) -> list[PageText]:
    return [page(*spec, number=n) for n, spec in enumerate(specs, start=1)]


def invoice(number: str, *, total: bool = True, marker: str | None = None) -> tuple[Item, ...]:
    items: list[Item] = [
        ("INVOICE", 2.0),
        f"Invoice No {number}",
        "Bill to: ACME Ltd",
        "Widget 2 10.00 20.00",
    ]
    if total:
        items += [0.8, "Total 20.00"]
    if marker:
        items += [0.95, marker]
    return tuple(items)


BLANK: tuple[Item, ...] = ()


def test_single_page_and_no_pages() -> None:
    assert split_pages(pages(invoice("1001"))) == [(1, 1)]
    assert split_pages(pages(BLANK)) == [(1, 1)]
    assert split_pages([]) == []


def test_two_invoices_with_different_numbers() -> None:
    assert split_pages(pages(invoice("1001"), invoice("1002"))) == [(1, 1), (2, 2)]


def test_same_number_on_every_page_is_one_document() -> None:
    # The title repeats and page 1 even has a total-like line: the number still says "same".
    assert split_pages(pages(invoice("1001"), invoice("1001"), invoice("1001"))) == [(1, 3)]


def test_three_page_invoice_with_page_markers() -> None:
    specs = (
        invoice("1001", total=False, marker="Page 1 of 3"),
        ("Widget 5 1.00 5.00", 0.95, "Page 2 of 3"),
        (("INVOICE", 2.0), "Widget 6 1.00 6.00", 0.8, "Total 31.00", 0.95, "Page 3 of 3"),
    )
    assert split_pages(pages(*specs)) == [(1, 3)]


def test_page_marker_beats_a_differing_number() -> None:
    # An OCR misread of the number on page 2 must not split a document that says "page 2 of 2".
    specs = (invoice("1001", total=False, marker="Page 1 of 2"), invoice("1O01", marker="Page 2 of 2"))
    assert split_pages(pages(*specs)) == [(1, 2)]


def test_page_one_marker_starts_even_with_the_same_number() -> None:
    specs = (invoice("1001", marker="Page 1 of 1"), invoice("1001", marker="Page 1 of 1"))
    assert split_pages(pages(*specs)) == [(1, 1), (2, 2)]


def test_blank_page_between_invoices_belongs_to_the_first() -> None:
    assert split_pages(pages(invoice("1001"), BLANK, invoice("1002"))) == [(1, 2), (3, 3)]


def test_leading_and_trailing_blank_pages() -> None:
    assert split_pages(pages(BLANK, invoice("1001"), invoice("1002"), BLANK)) == [(1, 2), (3, 4)]


@pytest.mark.parametrize(
    ("first", "second", "only"),
    [
        ("Seite 1 von 2", "Seite 2 von 2", "Seite 1 von 1"),
        ("Página 1 de 2", "Página 2 de 2", "Página 1 de 1"),
        ("Pagina 1 di 2", "Pagina 2 di 2", "Pagina 1 di 1"),
        ("Pagina 1 van 2", "Pagina 2 van 2", "Pagina 1 van 1"),
        ("Page 1/2", "Page 2/2", "Page 1/1"),
        ("Page 1 sur 2", "Page 2 sur 2", "Page 1 sur 1"),
    ],
)
def test_page_markers_in_several_languages(first: str, second: str, only: str) -> None:
    # No numbers and no titles: only the markers say where documents begin.
    specs = (("Artikel 1", 0.95, first), ("Artikel 2", 0.95, second), ("Artikel 3", 0.95, only))
    assert split_pages(pages(*specs)) == [(1, 2), (3, 3)]


def test_totals_then_a_header_is_a_boundary() -> None:
    # No numbers, no markers: a page that closes with a total, then a titled page.
    assert split_pages(pages(invoice("", total=True), invoice("", total=True))) == [(1, 1), (2, 2)]


def test_repeated_title_without_totals_continues() -> None:
    # A letterhead printed on every page of one invoice, totals on the last page only.
    specs = (invoice("", total=False), invoice("", total=False), invoice("", total=True))
    assert split_pages(pages(*specs)) == [(1, 3)]


def test_another_document_type_starts_a_document() -> None:
    delivery = (("DELIVERY NOTE", 2.0), "Widget 2")
    assert split_pages(pages(invoice("", total=False), delivery)) == [(1, 1), (2, 2)]


def test_carry_forward_continues_despite_a_closed_page() -> None:
    first = (("RECHNUNG", 2.0), "Pos 1 Schrauben 10,00", 0.8, "Summe 10,00", 0.9, "Übertrag 10,00")
    second = (("RECHNUNG", 2.0), "Pos 2 Muttern 5,00", 0.8, "Gesamtbetrag 15,00")
    assert split_pages(pages(first, second)) == [(1, 2)]
    first_without = first[:-2]
    assert split_pages(pages(first_without, second)) == [(1, 1), (2, 2)]


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("Invoice No. INV-2024-001", "inv-2024-001"),
        ("Invoice #12345", "12345"),
        ("Rechnungsnummer: 2024-17", "2024-17"),
        ("Rechnungs-Nr. 88", "88"),
        ("N° facture F2024/12", "f2024/12"),
        ("Número de factura: A-77", "a-77"),
        ("Factura nº 99", "99"),
        ("Fattura n. 45/2024", "45/2024"),
        ("Factuurnummer 2024.55", "2024.55"),
        ("Nº 2024-15", "2024-15"),
    ],
)
def test_document_numbers(line: str, number: str) -> None:
    assert signals(page(line)).number == number


@pytest.mark.parametrize(
    "line", ["Invoice date 01/02/2024", "Customer No 5555", "Order No 4711", "No returns after 30 days"]
)
def test_not_document_numbers(line: str) -> None:
    assert signals(page(line)).number is None


def test_page_signals() -> None:
    info = signals(page(("Facture", 2.0), "Client 12", 0.8, "Total TTC 12,00", 0.95, "Page 2 sur 3"))
    assert (info.title, info.page_of, info.closes, info.blank) == ("invoice", (2, 3), True, False)
    assert signals(page()).blank
    assert signals(page("Dear customer", 0.95, "- Page 2 -")).page_of == (2, None)
