"""Document type classification: titles, body words and layout in seven languages, the hint.

Pages are built from words placed by hand (``page``): each item is a line of text at the next
line position, ``(text, scale)`` for larger type, a float moves to that height of the page, and a
tab right-aligns the rest of the line (a till's price column).
"""

from __future__ import annotations

import re

import pytest

from docintake.extraction.classify import (
    BODY_CAP,
    NO_PRICES_WEIGHT,
    TITLE_LEAD,
    TITLE_WEIGHT,
    classify,
    evidence,
    title_of,
    tokens,
)
from docintake.extraction.layout import Line, build_lines
from docintake.pipeline.model import Box, PageText, Word

A4 = (595.0, 842.0)
TILL = (300.0, 900.0)
Item = str | tuple[str, float] | float


def _words(text: str, x: float, y: float, h: float, char: float) -> list[Word]:
    out = []
    for token in text.split():
        out.append(Word(token, Box(x, y, x + len(token) * char, y + h), 1.0))
        x += (len(token) + 1) * char
    return out


def page(*items: Item, number: int = 1, size: tuple[float, float] = A4) -> PageText:
    width, height = size
    words: list[Word] = []
    y, base = 0.04, 0.012
    for item in items:
        if isinstance(item, float):
            y = item
            continue
        text, scale = (item, 1.0) if isinstance(item, str) else item
        h = base * scale
        char = 0.55 * h * height / width
        left, _, right = text.partition("\t")
        words += _words(left, 0.06, y, h, char)
        if right:
            words += _words(right, 0.94 - len(right) * char, y, h, char)
        y += h * 1.8
    return PageText(number, width, height, "text_layer", words)


def lines(*items: Item, size: tuple[float, float] = A4) -> list[Line]:
    return build_lines([page(*items, size=size)])


# One document per type and language, lines separated by "|"; "#" marks a title printed twice as large
# (1.3 times on till receipts).
DOCUMENTS: dict[str, dict[str, str]] = {
    "invoice": {
        "en": (
            "#INVOICE|Invoice No INV-2024-001|Bill to: ACME Ltd|Due date 2024-03-01|"
            "Widget 2 10.00 20.00|Total 20.00|IBAN GB29NWBK60161331926819"
        ),
        "de": (
            "#Rechnung|Rechnungsnummer 2024-17|Fälligkeitsdatum 01.03.2024|"
            "Zahlungsbedingungen: 14 Tage netto|Summe 100,00|USt-IdNr DE123456789"
        ),
        "fr": (
            "#Facture|N° facture F-2024-12|Date d'échéance 01/03/2024|"
            "TVA intracommunautaire FR12345678901|Total TTC 120,00"
        ),
        "es": "#FACTURA|Número de factura A-77|Fecha de vencimiento 01/03/2024|NIF B12345678|Total 121,00",
        "it": "#Fattura|Fattura n. 45/2024|Partita IVA 01234567890|Scadenza 30/04/2024",
        "nl": "#Factuur|Factuurnummer 2024.55|Vervaldatum 01-03-2024|BTW nummer NL0012",
        "pt": "#Fatura|Fatura nº FT 2024/9|Data de vencimento 2024-03-01|Contribuinte 5012",
    },
    "receipt": {
        "en": (
            "Corner Cafe|#RECEIPT|Latte\t3.50|Muffin\t2.80|Total\t6.30|Cash\t10.00|Change\t3.70|Thank you"
        ),
        "de": (
            "Bäckerei Müller|#Kassenbon|Brötchen\t0,45|Brezel\t0,80|Summe\t1,25|Bar\t5,00|"
            "Rückgeld\t3,75|Danke für Ihren Einkauf"
        ),
        "es": "Bar Pepe|#Ticket|Café\t1,20|Tostada\t2,50|Total\t3,70|Efectivo\t5,00|Cambio\t1,30|Gracias",
        "it": (
            "Pizzeria Roma|#Scontrino|Margherita\t7,00|Acqua\t1,50|Totale\t8,50|Contanti\t10,00|"
            "Resto\t1,50|Grazie"
        ),
    },
    "creditNote": {
        "en": (
            "#CREDIT NOTE|Credit note no CN-12|Original invoice INV-9|Reason for credit: damaged goods|"
            "Total -20.00"
        ),
        "de": "#Gutschrift|Gutschrift Nr. 55|Erstattung für Rücksendung|Betrag -20,00 EUR",
        "fr": "#Facture d'avoir|Avoir N° AV-3|Remboursement commande 88|Total -15,00",
        "es": "#Factura rectificativa|Abono por devolución|Total -30,00",
        "nl": "#Creditnota|Terugbetaling retour|Totaal -12,00",
    },
    "purchaseOrder": {
        "en": (
            "#PURCHASE ORDER|PO Number 4500123|Vendor: Supplies Inc|Order date 2024-02-01|"
            "Deliver to: Warehouse 3|Approved by J. Smith"
        ),
        "de": "#Bestellung|Bestelldatum 01.02.2024|Liefertermin 15.02.2024|Lieferant: Holz AG",
        "es": "#Orden de compra|Proveedor: Suministros SA|Fecha de pedido 01/02/2024",
        "fr": "#Bon de commande|Fournisseur : Bureau Plus|Date de commande 01/02/2024",
    },
    "deliveryNote": {
        "en": ("#DELIVERY NOTE|Ship to: ACME Ltd|Item Qty delivered|Widget 10|Bolt 200|Received by ________"),
        "de": (
            "#Lieferschein|Lieferadresse: Hauptstr. 1|Artikel Gelieferte Menge|Schraube 200|"
            "Empfangen: ________"
        ),
        "it": "#Documento di trasporto|Vettore: Bartolini|Articolo Quantità consegnata|Viti 200",
        "nl": "#Pakbon|Afleveradres: Kerkstraat 5|Artikel Geleverd|Bouten 200",
    },
    "bankStatement": {
        "en": (
            "#Bank Statement|Account number 12345678|Opening balance 1,000.00|"
            "Date Description Debit Credit Balance|01/02 Rent 500.00 500.00|Closing balance 500.00"
        ),
        "de": (
            "#Kontoauszug|Alter Kontostand 1.000,00|Buchungstag Text Soll Haben Saldo|"
            "01.02. Miete 500,00 500,00|Neuer Kontostand 500,00"
        ),
        "fr": (
            "#Relevé de compte|Solde initial 1 000,00|Date Libellé Débit Crédit Solde|"
            "01/02 Loyer 500,00 500,00|Nouveau solde 500,00"
        ),
        "es": (
            "#Extracto|Saldo inicial 1.000,00|Fecha Concepto Cargo Abono Saldo|"
            "01/02 Alquiler 500,00 500,00|Saldo final 500,00"
        ),
    },
}


def document(kind: str, lang: str) -> list[Line]:
    till = kind == "receipt"
    items: list[Item] = [
        (part[1:], 1.3 if till else 2.0) if part.startswith("#") else part
        for part in DOCUMENTS[kind][lang].split("|")
    ]
    return lines(*items, size=TILL if till else A4)


CASES = [(kind, lang) for kind, langs in DOCUMENTS.items() for lang in langs]


@pytest.mark.parametrize(("kind", "lang"), CASES, ids=[f"{k}-{lang}" for k, lang in CASES])
def test_types_in_several_languages(kind: str, lang: str) -> None:
    result = classify(document(kind, lang))
    assert result.type == kind, result.scores
    assert result.confidence > 0.6
    assert result.hint_mismatch is None


def test_every_type_has_three_languages() -> None:
    assert set(DOCUMENTS) == {
        "invoice",
        "receipt",
        "creditNote",
        "purchaseOrder",
        "deliveryNote",
        "bankStatement",
    }
    assert all(len(langs) >= 3 for langs in DOCUMENTS.values())


def test_scores_are_probabilities_over_all_types() -> None:
    result = classify(document("invoice", "en"))
    assert set(result.scores) == {
        "invoice",
        "receipt",
        "creditNote",
        "purchaseOrder",
        "deliveryNote",
        "bankStatement",
        "other",
    }
    assert sum(result.scores.values()) == pytest.approx(1.0)
    assert result.confidence == pytest.approx(result.scores["invoice"])


def test_receipt_on_a_wide_page_from_its_words() -> None:
    result = classify(
        lines(
            "Corner Cafe",
            ("Receipt", 1.3),
            "Latte\t3.50",
            "Cash\t10.00",
            "Change\t6.50",
            "Cashier: Anna",
            "VISA ****1234",
        )
    )
    assert result.type == "receipt"
    assert result.confidence > 0.6


def test_tax_invoice_on_a_till_receipt_is_a_receipt() -> None:
    # Malaysian/Singapore tills print a large "TAX INVOICE"; the page shape and cash words win.
    till = (
        "SUPERMART SDN BHD",
        "GST ID 000123456789",
        ("TAX INVOICE", 2.0),
        "Rice 5kg\t21.90",
        "Milk\t6.50",
        "Total\t28.40",
        "Cash\t50.00",
    )
    result = classify(lines(*till, size=TILL))
    assert result.type == "receipt", result.scores
    # The same words on an A4 page with an invoice's body read as an invoice: the page shape decides.
    wide = (("TAX INVOICE", 2.0), "Invoice No 77", "Bill to: ACME", "Due date 2024-03-01", "Total 36.60")
    assert classify(lines(*wide)).type == "invoice"


def test_till_shaped_page_of_prices_is_a_receipt() -> None:
    result = classify(lines("Rice\t21.90", "Milk\t6.50", "Eggs\t8.20", "Total\t36.60", size=TILL))
    assert result.type == "receipt", result.scores
    # The same rows on a wide page say little: not enough for any type.
    assert classify(lines("Rice\t21.90", "Milk\t6.50", "Eggs\t8.20", "Total\t36.60")).type == "other"


def test_body_words_alone_type_a_document() -> None:
    invoice = classify(
        lines("ACME Ltd", "Bill to: Foo GmbH", "Due date 2024-03-01", "Payment terms: 30 days")
    )
    assert invoice.type == "invoice", invoice.scores
    receipt = classify(lines("Corner Cafe", "Cashier: Anna", "Cash 10.00", "Change 3.70"))
    assert receipt.type == "receipt", receipt.scores


def test_body_words_are_capped() -> None:
    words = (
        "Bill to",
        "Due date",
        "Payment terms",
        "IBAN DE12",
        "BIC ABCDEF",
        "VAT number 12",
        "Amount due 5",
    )
    assert evidence(lines(*words))["invoice"] == pytest.approx(BODY_CAP)


def test_till_rows_are_receipt_evidence() -> None:
    rows = ("Rice\t21.90", "Milk\t6.50", "Eggs\t8.20", "Bread\t2.10", "Total\t38.70")
    assert classify(lines(*rows, "Paid cash")).type == "receipt"
    assert classify(lines("Rice", "Milk", "Eggs", "Bread", "Paid cash")).type == "other"


def test_statement_columns_without_a_title() -> None:
    result = classify(lines("Date Description Debit Credit Balance", "01/02 Rent 500.00 1,500.00"))
    assert result.type == "bankStatement", result.scores


def test_delivery_note_without_prices_is_surer() -> None:
    items = (("Lieferschein", 2.0), "Artikel Gelieferte Menge", "Schraube 200")
    without = evidence(lines(*items))["deliveryNote"]
    priced = evidence(lines(*items, "Preis 12,50"))["deliveryNote"]
    assert without == pytest.approx(priced + NO_PRICES_WEIGHT)


def test_a_lone_title_scores_its_weight_and_the_lead() -> None:
    assert evidence(lines("Invoice"))["invoice"] == pytest.approx(TITLE_WEIGHT + TITLE_LEAD)
    assert 0.6 < classify(lines("Invoice")).confidence < 0.9


def test_simplified_tax_invoice_is_a_receipt() -> None:
    assert title_of(lines("SIMPLIFIED TAX INVOICE")[0]) == ("receipt", 1.0)


@pytest.mark.parametrize("title", ["lnvoice", "INVOlCE", "1NVOICE", "INV0ICE", "Invoixe", "Rechnunq"])
def test_ocr_noisy_titles(title: str) -> None:
    result = classify(lines((title, 2.0), "Total 20.00", "Due date 2024-03-01"))
    assert result.type == "invoice", result.scores


def test_short_words_are_not_fuzzy() -> None:
    # "Contact" is one edit from the Dutch "contant" (cash): body words match exactly.
    assert "contant" not in tokens("Contact")
    assert evidence(lines("Contact us at info@example.com"))["receipt"] == 0.0


def test_weak_evidence_is_other() -> None:
    letter = ("Dear customer,", "our office moves to a new address on 1 March.", "Kind regards, the team")
    result = classify(lines(*letter))
    assert result.type == "other"
    stray = classify(lines("Dear customer,", "please find the invoice attached.", "Kind regards"))
    assert stray.type == "other", stray.scores
    assert classify([]).type == "other"


def test_a_title_outranks_a_reference_in_the_header() -> None:
    # An invoice quoting the customer's purchase order in its header is still an invoice.
    result = classify(lines(("INVOICE", 2.0), "Purchase Order: 4500123", "Total 20.00"))
    assert result.type == "invoice", result.scores


def test_strict_titles_need_a_line_of_their_own() -> None:
    assert title_of(lines("PO 4500123")[0]) == ("purchaseOrder", 1.0)
    assert title_of(lines("PO Box 12, Springfield")[0]) is None


def test_larger_titles_weigh_more() -> None:
    small = evidence(lines("Invoice", "Hello"))["invoice"]
    large = evidence(lines(("Invoice", 2.5), "Hello"))["invoice"]
    assert large > small > 0


def test_titles_only_count_fully_at_the_top_of_page_one() -> None:
    top = evidence(lines("Invoice", "Hello"))["invoice"]
    low = evidence(lines("Hello", 0.7, "Invoice"))["invoice"]
    assert top > low > 0


def test_hint_respected_when_evidence_is_not_clear() -> None:
    weak = lines("Dear customer,", "please find the invoice attached.")
    result = classify(weak, type_hint="receipt")
    assert (result.type, result.hint_mismatch) == ("receipt", None)
    assert result.confidence >= 0.5


def test_hint_agreeing_with_evidence_keeps_its_probability() -> None:
    result = classify(document("invoice", "en"), type_hint="invoice")
    assert result.type == "invoice"
    assert result.confidence == pytest.approx(result.scores["invoice"])
    assert result.confidence > 0.9
    assert result.hint_mismatch is None


def test_clear_mismatch_is_reported_and_the_hint_kept() -> None:
    result = classify(document("invoice", "en"), type_hint="receipt")
    assert result.type == "receipt"
    assert result.confidence < 0.5  # routed to review
    assert result.hint_mismatch is not None
    assert re.fullmatch(
        r"the upload said receipt, but the document reads as an invoice \([01]\.\d\d\)", result.hint_mismatch
    )
    assert max(result.scores, key=lambda t: result.scores[t]) == "invoice"


def test_unknown_hint_is_taken_as_is() -> None:
    result = classify(document("invoice", "en"), type_hint="utilityBill")
    assert (result.type, result.hint_mismatch) == ("utilityBill", None)


def test_mismatch_sentence_names_the_hint_plainly() -> None:
    result = classify(document("bankStatement", "en"), type_hint="other")
    assert result.type == "other"
    assert result.hint_mismatch is not None
    assert result.hint_mismatch.startswith(
        "the upload said other, but the document reads as a bank statement"
    )
