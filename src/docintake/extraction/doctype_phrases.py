"""The words that announce a document's type, in seven languages: titles, body keywords and the
column headers of a bank statement.

Data only, kept apart from the scoring in ``classify`` so that adding a language or a spelling is
an edit here and nothing else; how phrases are matched (accents, case, OCR noise) is ``phrases``.
Phrases are comma-separated per type and written folded (no accents, lower case, apostrophes as
spaces).
"""

from __future__ import annotations

TYPES = ("invoice", "receipt", "creditNote", "purchaseOrder", "deliveryNote", "bankStatement", "other")
NAMES = {
    "invoice": "an invoice",
    "receipt": "a receipt",
    "creditNote": "a credit note",
    "purchaseOrder": "a purchase order",
    "deliveryNote": "a delivery note",
    "bankStatement": "a bank statement",
    "other": "another kind of document",
}
# Titles, comma-separated per type. "=" marks a phrase that counts as a title only when the line is
# little more than it and a number: short or everyday words ("PO", "Bon", "Avoir", "Pedido",
# "Ordine") are references or ordinary words elsewhere.
TITLES: dict[str, str] = {
    "invoice": (
        "invoice, tax invoice, vat invoice, commercial invoice, proforma invoice, factura, facture, "
        "rechnung, fattura, fatura, factuur, nota fiscal, fatura fiscal"
    ),
    "receipt": (
        "receipt, sales receipt, cash receipt, =ticket, ticket de caisse, kassenbon, kassenbeleg, =bon, "
        "scontrino, scontrino fiscale, recibo, kassabon, kassaticket, simplified tax invoice, =cash sale, "
        "fattura semplificata, factura simplificada, documento commerciale"
    ),
    "creditNote": (
        "credit note, credit memo, credit invoice, nota de credito, =avoir, facture d avoir, gutschrift, "
        "rechnungskorrektur, stornorechnung, nota di credito, nota credito, creditnota, credit nota, "
        "creditfactuur, factura rectificativa"
    ),
    "purchaseOrder": (
        "purchase order, =po, =p o, =order, orden de compra, =pedido, bon de commande, =commande, "
        "=bestellung, =ordine, ordine d acquisto, ordem de compra, nota de encomenda, inkooporder, "
        "=bestelling"
    ),
    "deliveryNote": (
        "delivery note, packing slip, packing list, delivery docket, albaran, nota de entrega, "
        "bon de livraison, lieferschein, =ddt, documento di trasporto, guia de remessa, "
        "guia de transporte, pakbon, afleverbon, leveringsbon"
    ),
    "bankStatement": (
        "statement, bank statement, account statement, statement of account, extracto, extracto bancario, "
        "releve de compte, releve bancaire, kontoauszug, estratto conto, extrato, extrato bancario, "
        "rekeningafschrift, dagafschrift"
    ),
}
# Body keywords: comma-separated phrases per (type, weight); each phrase counts once per document.
BODY: dict[tuple[str, float], str] = {
    ("invoice", 0.8): (
        "due date, payment terms, bill to, billed to, invoice to, invoice date, amount due, balance due, "
        "vat number, vat no, vat reg, tax id, iban, bic, swift, fecha de vencimiento, vencimiento, "
        "forma de pago, cif, nif, date d echeance, echeance, conditions de paiement, "
        "tva intracommunautaire, siret, falligkeitsdatum, faelligkeitsdatum, faellig, fallig, zahlungsziel, "
        "zahlungsbedingungen, ust idnr, steuernummer, leistungsdatum, scadenza, data di scadenza, "
        "partita iva, p iva, codice fiscale, vencimento, data de vencimento, condicoes de pagamento, "
        "contribuinte, vervaldatum, betalingstermijn, btw nummer, btw nr, kvk, te betalen"
    ),
    ("receipt", 0.9): (
        "cash, change, tendered, cashier, rounding, gst summary, change due, kasse, bar, rueckgeld, "
        "ruckgeld, kassierer, efectivo, cambio, cajero, especes, rendu, monnaie, caissier, contanti, "
        "resto, cassiere, dinheiro, troco, operador, contant, wisselgeld, kassier, visa, mastercard, "
        "maestro, amex, eftpos, contactless, debit card, card payment, girocard, ec karte, table, server, "
        "tip, terminal, auth code, approval code"
    ),
    ("receipt", 0.4): "thank you, thanks, danke, gracias, merci, grazie, obrigado, bedankt",
    ("creditNote", 0.9): (
        "refund, credited, amount credited, original invoice, reason for credit, credit amount, abono, "
        "rembourse, remboursement, erstattung, gutschriftsbetrag, storno, rimborso, reembolso, "
        "terugbetaling"
    ),
    ("purchaseOrder", 0.7): (
        "vendor, buyer, order date, requested by, approved by, authorized by, please supply, deliver to, "
        "required by, bestelldatum, liefertermin, fecha de pedido, proveedor, date de commande, "
        "fournisseur, data ordine, fornitore, data da encomenda, fornecedor, besteldatum, leverancier"
    ),
    ("deliveryNote", 1.0): (
        "quantity shipped, qty shipped, quantity delivered, qty delivered, shipped, delivered, "
        "received by, received in good condition, gelieferte menge, geliefert, empfangen, "
        "cantidad entregada, entregado, recibido por, quantite livree, livre, recu par, "
        "quantita consegnata, consegnato, ricevuto da, quantidade entregue, entregue, recebido por, "
        "geleverd, ontvangen door, aantal geleverd"
    ),
    ("deliveryNote", 0.5): (
        "ship to, delivery address, lieferanschrift, lieferadresse, direccion de entrega, "
        "adresse de livraison, indirizzo di consegna, morada de entrega, afleveradres, carrier, spediteur, "
        "transportista, transporteur, vettore, transportador, vervoerder, signature, unterschrift, "
        "assinatura, handtekening"
    ),
    ("bankStatement", 1.5): (
        "opening balance, closing balance, previous balance, new balance, balance brought forward, "
        "saldo inicial, saldo final, saldo anterior, solde initial, solde final, ancien solde, "
        "nouveau solde, anfangssaldo, endsaldo, alter kontostand, neuer kontostand, saldo iniziale, "
        "saldo finale, beginsaldo, eindsaldo, nieuw saldo, oud saldo"
    ),
    ("bankStatement", 0.6): (
        "account number, sort code, kontonummer, numero de cuenta, numero de compte, numero di conto, "
        "numero da conta, rekeningnummer, withdrawals, deposits"
    ),
}
# Column headers of a statement; a row holding words of two of these groups is a statement header.
STATEMENT_COLUMNS = (
    "debit, debits, withdrawal, withdrawals, soll, lastschrift, debe, cargo, debito, dare, af",
    "credit, credits, deposit, deposits, haben, gutschrift, haber, abono, credito, avere, bij",
    "balance, saldo, solde, kontostand",
)
LABEL_WORDS = ("no", "nr", "n", "nro", "number", "num", "numero", "nummer", "ref", "o", "de", "di", "d")
