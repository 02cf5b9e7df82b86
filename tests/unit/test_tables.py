"""Line items and tax lines from synthetic pages: tables by header columns, receipts, VAT rows."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

from docintake.extraction.layout import Line, build_lines
from docintake.extraction.model import LineItem
from docintake.extraction.tables import extract_line_items
from docintake.extraction.taxlines import extract_tax_lines
from docintake.pipeline.model import Box, PageText, Word

CHAR, SPACE, HEIGHT = 0.012, 0.008, 0.012
Cell = tuple[float, str]


def right(x1: float, text: str) -> Cell:
    """A cell whose text ends at ``x1`` (numbers in tables are right-aligned)."""
    parts = text.split()
    width = CHAR * sum(len(p) for p in parts) + SPACE * (len(parts) - 1)
    return (x1 - width, text)


def page(number: int, rows: Sequence[tuple[float, Sequence[Cell]]]) -> PageText:
    words = []
    for y, cells in rows:
        for x, text in cells:
            for part in text.split():
                width = CHAR * len(part)
                words.append(Word(part, Box(x, y, x + width, y + HEIGHT), 1.0))
                x += width + SPACE
    return PageText(number, 1000, 1414, "text_layer", words)


def lines_of(*pages: Sequence[tuple[float, Sequence[Cell]]]) -> list[Line]:
    return build_lines([page(n, rows) for n, rows in enumerate(pages, start=1)])


def values(items: list[LineItem], *keys: str) -> list[tuple[object, ...]]:
    return [tuple(getattr(item, key) for key in keys) for item in items]


HEADER_EN = [(0.08, "Description"), (0.55, "Qty"), (0.66, "Unit Price"), (0.84, "Amount")]


def en_row(y: float, desc: str, qty: str, price: str, amount: str) -> tuple[float, list[Cell]]:
    return (y, [(0.08, desc), right(0.59, qty), right(0.78, price), right(0.93, amount)])


def test_english_invoice_with_three_items() -> None:
    lines = lines_of(
        [
            (0.05, [(0.08, "ACME Supplies Ltd"), (0.70, "INVOICE")]),
            (0.10, [(0.08, "Invoice no. 1042"), (0.70, "Date: 03/05/2024")]),
            (0.30, HEADER_EN),
            en_row(0.33, "Blue widgets", "3", "12.50", "37.50"),
            en_row(0.36, "Installation service", "2", "80.00", "160.00"),
            en_row(0.39, "Shipping", "1", "9.90", "9.90"),
            (0.45, [(0.55, "Subtotal"), right(0.93, "207.40")]),
            (0.48, [(0.55, "Total"), right(0.93, "207.40")]),
        ]
    )
    items = extract_line_items(lines)
    assert values(items, "description", "quantity", "unit_price", "amount") == [
        ("Blue widgets", "3", "12.50", "37.50"),
        ("Installation service", "2", "80.00", "160.00"),
        ("Shipping", "1", "9.90", "9.90"),
    ]
    first = items[0]
    assert first.page == 1 and first.box is not None
    assert first.box.y0 == pytest.approx(0.33) and first.box.x0 == pytest.approx(0.08)
    assert first.text == "Blue widgets 3 12.50 37.50"
    assert all(0.8 <= item.confidence <= 1.0 for item in items)


def test_german_table_with_continental_amounts_and_units() -> None:
    header = [(0.05, "Pos."), (0.12, "Bezeichnung"), (0.50, "Menge"), (0.64, "Einzelpreis"), (0.84, "Betrag")]
    lines = lines_of(
        [
            (0.30, header),
            (0.33, [(0.05, "1"), (0.12, "Bürostuhl Ergo"), right(0.60, "2 Stk"), right(0.77, "617,28"),
                    right(0.95, "1.234,56")]),
            (0.36, [(0.05, "2"), (0.12, "Montage"), right(0.60, "2,5 h"), right(0.77, "60,00"),
                    right(0.95, "150,00")]),
            (0.42, [(0.50, "Zwischensumme"), right(0.95, "1.384,56")]),
        ]
    )  # fmt: skip
    items = extract_line_items(lines, ",")
    assert values(items, "description", "quantity", "unit", "unit_price", "amount") == [
        ("Bürostuhl Ergo", "2", "Stk", "617.28", "1234.56"),
        ("Montage", "2.5", "h", "60.00", "150.00"),
    ]


def test_french_description_wrapping_onto_two_lines() -> None:
    header = [(0.08, "Désignation"), (0.52, "Qté"), (0.62, "Prix unitaire"), (0.82, "Montant HT")]
    lines = lines_of(
        [
            (0.30, header),
            (0.33, [(0.08, "Prestation de conseil"), right(0.56, "2"), right(0.76, "600,00"),
                    right(0.95, "1 200,00")]),
            (0.345, [(0.08, "stratégique (mars 2024)")]),
            (0.37, [(0.08, "Frais de déplacement"), right(0.56, "1"), right(0.76, "85,00"), right(0.95, "85,00")]),
            (0.43, [(0.60, "Total HT"), right(0.95, "1 285,00")]),
            (0.50, [(0.08, "Conditions de paiement : 30 jours")]),
        ]
    )  # fmt: skip
    items = extract_line_items(lines, ",")
    assert values(items, "description", "quantity", "amount") == [
        ("Prestation de conseil stratégique (mars 2024)", "2", "1200.00"),
        ("Frais de déplacement", "1", "85.00"),
    ]
    assert items[0].text == "Prestation de conseil 2 600,00 1 200,00\nstratégique (mars 2024)"
    assert items[0].box is not None and items[0].box.y1 == pytest.approx(0.345 + HEIGHT)


def test_description_printed_above_its_numbers() -> None:
    lines = lines_of(
        [
            (0.30, HEADER_EN),
            (0.33, [(0.08, "Annual maintenance contract")]),
            (0.345, [right(0.59, "1"), right(0.78, "450.00"), right(0.93, "450.00")]),
            (0.40, [(0.55, "Total"), right(0.93, "450.00")]),
        ]
    )
    items = extract_line_items(lines)
    assert values(items, "description", "quantity", "amount") == [
        ("Annual maintenance contract", "1", "450.00")
    ]


def test_product_code_and_tax_rate_columns() -> None:
    header = [(0.05, "SKU"), (0.17, "Item"), (0.50, "Qty"), (0.58, "Price"), (0.70, "VAT %"), (0.85, "Total")]
    lines = lines_of(
        [
            (0.30, header),
            (0.33, [(0.05, "AB-1001"), (0.17, "Printer paper A4"), right(0.54, "5"), right(0.66, "4.20"),
                    right(0.77, "19%"), right(0.94, "21.00")]),
            (0.36, [(0.05, "CD-2002"), (0.17, "Coffee beans 1kg"), right(0.54, "2"), right(0.66, "15.00"),
                    right(0.77, "7 %"), right(0.94, "30.00")]),
            (0.42, [(0.58, "Net total"), right(0.94, "51.00")]),
        ]
    )  # fmt: skip
    items = extract_line_items(lines)
    assert values(items, "product_code", "description", "quantity", "unit_price", "tax_rate", "amount") == [
        ("AB-1001", "Printer paper A4", "5", "4.20", "19", "21.00"),
        ("CD-2002", "Coffee beans 1kg", "2", "15.00", "7", "30.00"),
    ]


@pytest.mark.parametrize("repeat_header", [False, True])
def test_items_table_continuing_on_page_two(repeat_header: bool) -> None:
    page_one = [
        (0.05, [(0.08, "ACME Supplies Ltd")]),
        (0.30, HEADER_EN),
        en_row(0.33, "Cable 5m", "4", "3.00", "12.00"),
        en_row(0.36, "Cable 10m", "2", "5.00", "10.00"),
        (0.95, [(0.45, "Page 1 of 2")]),
    ]
    page_two = [
        (0.04, [(0.08, "ACME Supplies Ltd"), (0.80, "Invoice 1042")]),  # 1042 falls in the amount column
        *([(0.08, HEADER_EN)] if repeat_header else []),
        en_row(0.11, "Power adapter", "1", "25.00", "25.00"),
        en_row(0.14, "USB hub", "1", "19.00", "19.00"),
        (0.20, [(0.55, "Total"), right(0.93, "66.00")]),
        (0.95, [(0.45, "Page 2 of 2")]),
    ]
    items = extract_line_items(lines_of(page_one, page_two))
    assert values(items, "description", "amount", "page") == [
        ("Cable 5m", "12.00", 1),
        ("Cable 10m", "10.00", 1),
        ("Power adapter", "25.00", 2),
        ("USB hub", "19.00", 2),
    ]


def test_left_aligned_headers_with_net_and_gross_amount_columns() -> None:
    """Headers start their cells, numbers end them (a narrow price sits nearer the "Qty:" header
    than its own, a wide total starts left of "Total:"); the net "Subtotal" is the item amount."""
    header = [
        (0.06, "Item:"),
        (0.42, "Price:"),
        (0.545, "Qty:"),
        (0.605, "Subtotal:"),
        (0.72, "VAT:"),
        (0.86, "Total:"),
    ]
    lines = lines_of(
        [
            (0.30, header),
            (0.33, [(0.06, "Isothermic mug"), right(0.54, "8.00"), right(0.60, "1"), right(0.715, "8.00"),
                    right(0.83, "21.00"), right(0.937, "9.68")]),
            (0.36, [(0.06, "Bicycle"), right(0.54, "5,465.00"), right(0.60, "2"), right(0.715, "10,930.00"),
                    right(0.83, "21.00"), right(0.937, "13,225.30")]),
        ]
    )  # fmt: skip
    items = extract_line_items(lines)
    assert values(items, "description", "unit_price", "quantity", "amount", "tax_rate") == [
        ("Isothermic mug", "8.00", "1", "8.00", "21"),
        ("Bicycle", "5465.00", "2", "10930.00", "21"),
    ]


def test_receipt_items_with_quantity_patterns() -> None:
    lines = lines_of(
        [
            (0.05, [(0.30, "CORNER CAFE")]),
            (0.07, [(0.28, "12 Main Street")]),
            (0.09, [(0.25, "Date: 12/03/2024 10:15")]),
            (0.14, [(0.25, "LATTE"), (0.40, "2 x 3.50"), right(0.70, "7.00")]),
            (0.16, [(0.25, "BAGEL"), right(0.70, "1.75")]),
            (0.18, [(0.25, "MUFFIN BLUEBERRY")]),
            (0.20, [(0.30, "3 @ 2.00"), right(0.70, "6.00")]),
            (0.22, [(0.25, "WATER 0.5L"), right(0.70, "2.40")]),
            (0.24, [(0.30, "2 x 1.20")]),
            (0.28, [(0.25, "SUBTOTAL"), right(0.70, "17.15")]),
            (0.30, [(0.25, "TAX 8%"), right(0.70, "1.37")]),
            (0.32, [(0.25, "TOTAL"), right(0.70, "18.52")]),
            (0.34, [(0.25, "CASH"), right(0.70, "20.00")]),
            (0.36, [(0.25, "CHANGE"), right(0.70, "1.48")]),
        ]
    )
    items = extract_line_items(lines)
    assert values(items, "description", "quantity", "unit_price", "amount") == [
        ("LATTE", "2", "3.50", "7.00"),
        ("BAGEL", None, None, "1.75"),
        ("MUFFIN BLUEBERRY", "3", "2.00", "6.00"),
        ("WATER 0.5L", "2", "1.20", "2.40"),
    ]
    assert items[2].text == "MUFFIN BLUEBERRY\n3 @ 2.00 6.00"
    assert items[0].confidence > items[1].confidence  # the arithmetic checks out on the first


def test_arithmetic_mismatch_lowers_confidence() -> None:
    lines = lines_of(
        [
            (0.30, HEADER_EN),
            en_row(0.33, "Consulting hours", "10", "95.00", "950.00"),
            en_row(0.36, "Travel expenses", "3", "40.00", "150.00"),
            (0.42, [(0.55, "Total"), right(0.93, "1100.00")]),
        ]
    )
    good, bad = extract_line_items(lines)
    assert bad.amount == "150.00"
    assert bad.confidence < good.confidence - 0.2


def test_no_table_and_no_receipt_items() -> None:
    lines = lines_of([(0.1, [(0.1, "Dear customer, thank you for your order.")])])
    assert extract_line_items(lines) == []
    assert extract_tax_lines(lines) == []


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("VAT 19% 123.45", None, ("19", None, "123.45")),
        ("MwSt. 19 % auf 100,00 = 19,00", ",", ("19", "100.00", "19.00")),
        ("IVA 21% s/ 100,00 21,00", ",", ("21", "100.00", "21.00")),
        ("TVA 20 % 200,00 40,00", ",", ("20", "200.00", "40.00")),
        ("GST @6% 15.00 0.90", None, ("6", "15.00", "0.90")),
        ("VAT 7.7% 100.00 7.70 107.70", None, ("7.7", "100.00", "7.70")),
        ("VAT @ 0% on 80.65", None, ("0", "80.65", None)),
    ],
)
def test_inline_tax_lines(text: str, hint: str | None, expected: tuple[str | None, ...]) -> None:
    lines = lines_of([(0.5, [(0.3, text)])])
    (tax,) = extract_tax_lines(lines, hint)
    assert (tax.rate, tax.base_amount, tax.tax_amount) == expected
    assert tax.text == text and tax.page == 1 and tax.box is not None
    assert 0 < tax.confidence <= 1


@pytest.mark.parametrize("text", ["Total VAT 19.00", "Total Amt Incl. GST @ 6% 12.00", "VAT no. DE123456789"])
def test_totals_and_ids_are_not_tax_lines(text: str) -> None:
    assert extract_tax_lines(lines_of([(0.5, [(0.3, text)])])) == []


def test_vat_summary_table_by_columns() -> None:
    lines = lines_of(
        [
            (0.60, [(0.10, "Taux"), (0.30, "Base HT"), (0.50, "TVA"), (0.70, "Total TTC")]),
            (0.63, [right(0.18, "20 %"), right(0.42, "200,00"), right(0.58, "40,00"), right(0.82, "240,00")]),
            (0.66, [right(0.18, "5,5 %"), right(0.42, "100,00"), right(0.58, "5,50"), right(0.82, "105,50")]),
            (0.70, [(0.10, "Total"), right(0.42, "300,00"), right(0.58, "45,50"), right(0.82, "345,50")]),
        ]
    )
    taxes = extract_tax_lines(lines, ",")
    assert [(t.rate, t.base_amount, t.tax_amount) for t in taxes] == [
        ("20", "200.00", "40.00"),
        ("5.5", "100.00", "5.50"),
    ]
    assert all(t.confidence >= 0.85 for t in taxes)


def test_german_summary_table_without_percent_signs() -> None:
    lines = lines_of(
        [
            (0.60, [(0.10, "MwSt-Satz"), (0.30, "Netto"), (0.50, "MwSt"), (0.70, "Brutto")]),
            (
                0.63,
                [right(0.18, "19"), right(0.42, "1.000,00"), right(0.58, "190,00"), right(0.82, "1.190,00")],
            ),
        ]
    )
    (tax,) = extract_tax_lines(lines, ",")
    assert (tax.rate, tax.base_amount, tax.tax_amount) == ("19", "1000.00", "190.00")


# --- rendered synthetic documents: the cases a 100-seed measurement found wrong ---------------


def synthetic_lines(seed: int, doc_type: str, language: str) -> tuple[Any, list[Line], str | None]:
    synthetic = pytest.importorskip("training.synthetic")
    pdfium = pytest.importorskip("pypdfium2")
    from docintake.extraction.normalize import guess_decimal_separator
    from docintake.pipeline.pdftext import text_layer_words

    doc = synthetic.generate(seed, doc_type=doc_type, language=language)
    pdf = pdfium.PdfDocument(synthetic.render_pdf(doc, seed))
    pages = []
    for i in range(len(pdf)):
        width, height = pdf[i].get_size()
        pages.append(PageText(i + 1, width, height, "text_layer", text_layer_words(pdf[i])))
    lines = build_lines(pages)
    return doc, lines, guess_decimal_separator([line.text for line in lines])


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@pytest.mark.parametrize(
    ("seed", "language", "case"),
    [
        (2, "es", "'7,5 días' in a 'Cant.' cell, a row with dates, 'Importe neto' ends the table"),
        (11, "es", "'Transporte y manipulación' is an item, not a 'carried forward' row"),
        (1, "fr", "wrapped description; code and description in one run of words"),
        (5, "pt", "'Quant.'/'Unid.'/'Preço unit.' headers: '3,5 dias' is no description text"),
        (8, "nl", "'Aant.' header: the '12' is a quantity, not description text"),
        (3, "en", "'Item #' and 'Item' columns: '72277-97 Business cards, 250 pcs' is split"),
        (9, "en", "a '$' column before the amounts does not spoil the quantity cell"),
        (28, "en", "a credit line '-£632.32' keeps its sign"),
        (62, "en", "'1 599.54' under 'Quantity' and 'Price' is a quantity and a price"),
        (20, "pt", "'2 416,89' with the '2' under no header is one amount"),
        (57, "fr", "'24 107,00' under 'Qté' and 'PU' is a quantity and a price"),
        (24, "en", "'5 ea' right-aligned under 'Qty' with the '5' left of the header"),
        (32, "en", "a VAT summary header ('Rate Net GST Gross') does not restart the items"),
    ],
)
def test_items_of_rendered_synthetic_invoices(seed: int, language: str, case: str) -> None:
    doc, lines, hint = synthetic_lines(seed, "invoice", language)
    items = extract_line_items(lines, hint)
    expected = doc.line_items
    assert len(items) == len(expected), case
    for want, got in zip(expected, items, strict=True):
        assert " ".join((got.description or "").split()) == " ".join(want["description"].split()), case
        assert (got.product_code, got.unit) == (want["product_code"], want["unit"]), case
        for key in ("quantity", "unit_price", "amount"):
            assert _dec(getattr(got, key)) == _dec(want[key]), (case, key)


@pytest.mark.parametrize(
    ("seed", "doc_type", "language", "case"),
    [
        (1, "invoice", "fr", "'20 % 4.162,64 832,53 4.995,17': base x rate = tax picks the pair"),
        (0, "invoice", "nl", "'BTW-bedrag 21,00 %': the rate with decimals is not the tax"),
        (1, "invoice", "nl", "a totals label on the summary header's baseline is not a column"),
        (5, "invoice", "fr", "a summary row with 'Total EUR ...' beside it is still a tax line"),
        (18, "receipt", "it", "a till's totals beside its VAT table does not end it: three rates"),
        (21, "receipt", "en", "'Rate Net Service Tax Gross' is a VAT summary, not an items header"),
    ],
)
def test_tax_lines_of_rendered_synthetic_documents(
    seed: int, doc_type: str, language: str, case: str
) -> None:
    doc, lines, hint = synthetic_lines(seed, doc_type, language)
    got = sorted(
        (_dec(t.rate), _dec(t.tax_amount), _dec(t.base_amount)) for t in extract_tax_lines(lines, hint)
    )
    expected = doc.tax_lines
    want = sorted((_dec(t["rate"]), _dec(t["tax_amount"])) for t in expected)
    assert [g[:2] for g in got] == want, case
    for (_, _, base), line in zip(
        got, sorted(expected, key=lambda t: (_dec(t["rate"]), _dec(t["tax_amount"]))), strict=True
    ):
        if line["base_amount"] is not None:
            assert base == _dec(line["base_amount"]), case


# --- hand-built pages for the same problems -----------------------------------------------------


def test_quantities_keep_their_printed_precision_and_credits_their_sign() -> None:
    lines = lines_of(
        [
            (0.30, HEADER_EN),
            en_row(0.33, "Coffee beans", "4.053 kg", "2.32", "9.40"),
            en_row(0.36, "Cable", "2.50", "4.00", "10.00"),
            (0.39, [(0.08, "Discount 15%"), right(0.93, "-£3.00")]),
            (0.45, [(0.55, "Total"), right(0.93, "16.40")]),
        ]
    )
    items = extract_line_items(lines)
    assert values(items, "description", "quantity", "unit", "amount") == [
        ("Coffee beans", "4.053", "kg", "9.40"),
        ("Cable", "2.5", None, "10.00"),
        ("Discount 15%", None, None, "-3.00"),
    ]


def test_space_between_cells_is_not_a_thousands_group() -> None:
    """ "1 599.54" across the quantity and price columns is two cells; "1 200,00" inside the
    amount column is one amount."""
    header = [(0.08, "Description"), (0.62, "Qty"), (0.68, "Price"), (0.84, "Amount")]
    lines = lines_of(
        [
            (0.30, header),
            (0.33, [(0.08, "Office rent"), (0.63, "1 599.54"), right(0.93, "599.54")]),
            (0.36, [(0.08, "Consulting"), (0.63, "2 600.00"), right(0.93, "1 200.00")]),
        ]
    )
    items = extract_line_items(lines)
    assert values(items, "description", "quantity", "unit_price", "amount") == [
        ("Office rent", "1", "599.54", "599.54"),
        ("Consulting", "2", "600.00", "1200.00"),
    ]


def test_quantity_and_unit_cell_and_stop_at_net_amount_label() -> None:
    header = [(0.08, "#"), (0.12, "Cant."), (0.22, "Concepto"), (0.70, "Precio"), (0.84, "Total")]
    lines = lines_of(
        [
            (0.30, header),
            (0.33, [(0.08, "1"), (0.10, "7,5 días"), (0.22, "Gestión de proyecto"), right(0.78, "914,11"),
                    right(0.93, "6.855,83")]),
            (0.36, [(0.08, "2"), (0.13, "1 global"), (0.22, "Transporte y manipulación del 20-06-2025"),
                    right(0.78, "64,00"), right(0.93, "64,00")]),
            (0.40, [(0.60, "Importe neto"), right(0.93, "6.919,83")]),
        ]
    )  # fmt: skip
    items = extract_line_items(lines, ",")
    assert values(items, "description", "quantity", "unit", "amount") == [
        ("Gestión de proyecto", "7.5", "días", "6855.83"),
        ("Transporte y manipulación del 20-06-2025", "1", "global", "64.00"),
    ]


def test_summary_row_rate_with_decimals_and_arithmetic_pair() -> None:
    lines = lines_of(
        [
            (0.50, [(0.10, "Taux"), (0.25, "HT"), (0.35, "TVA"), (0.45, "TTC")]),
            (0.53, [right(0.18, "20 %"), right(0.30, "4.162,64"), right(0.40, "832,53"), right(0.52, "4.995,17")]),
            (0.60, [(0.60, "BTW-bedrag 21,00 %"), right(0.93, "€1.677,07")]),
        ]
    )  # fmt: skip
    taxes = extract_tax_lines(lines, ",")
    assert [(t.rate, t.base_amount, t.tax_amount) for t in taxes] == [
        ("20", "4162.64", "832.53"),
        ("21", None, "1677.07"),
    ]
