"""Label words in seven languages, grouped by what they announce; features for the ranker.

The ranker does not learn words from scratch (a few hundred labelled documents cannot teach
"Rechnungsdatum" and "Fecha de emisión"), so these groups carry the language knowledge: a
candidate gets features like "a total label is left of it on its row" or "a due-date label is
above it". Which group matters for which field, and how much, is learned from data. Words are
matched on accent-stripped, case-folded text at word boundaries, and entries are written with
the spellings OCR commonly produces on receipts ("tota1" is not included; noise is left to the
model's other features).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# fmt: off
GROUPS: dict[str, tuple[str, ...]] = {
    "total": (
        "rechnungssumme", "rechnungssumme brutto", "gesamt brutto", "bruttosumme", "endsumme",
        "rechnungsbeitrag", "total payable", "amount payable", "invoice total", "invoice amount",
        "due payable", "total to pay", "importe a pagar", "montant total", "totale da pagare",
        "totaal bedrag", "factuurbedrag", "total general", "total", "grand total", "total amount",
        "total due", "amount due", "balance due", "total incl", "total inclusive", "nett total",
        "net total", "total sales", "total rm", "totaal", "totaal te betalen", "te betalen",
        "importe total", "total a pagar", "total factura", "gesamtbetrag", "gesamtsumme", "rechnungsbetrag",
        "endbetrag", "summe", "zu zahlen", "zahlbetrag", "totale", "totale fattura", "importo totale",
        "totale documento", "total ttc", "net a payer", "montant ttc", "a payer", "total geral",
        "valor total", "total a pagar", "montante", "bedrag incl", "total eur",
    ),
    "subtotal": (
        "rechnungssumme netto", "nettosumme", "gesamt netto", "warenwert", "net total amount", "total net",
        "importe neto", "total hors taxes", "totale netto", "totaal netto", "subtotal", "sub total",
        "sub-total", "net amount", "total excl", "total exclusive", "amount excl", "net", "netto",
        "nettobetrag", "zwischensumme", "summe netto", "base imponible", "base", "subtotaal", "totaal excl",
        "total ht", "montant ht", "sous total", "sous-total", "imponibile", "totale imponibile",
        "valor liquido", "total liquido", "total sem iva", "excl", "excluding", "before tax",
    ),
    "tax": (
        "versicherungsteuer", "versicherungssteuer", "steuer", "steuerbetrag", "vat amount", "tax amount",
        "vat total", "tax total", "mwst betrag", "zzgl mwst", "zuzuglich", "taxe", "taxes", "tps", "tvq",
        "hst", "pst", "cuota iva", "montant tva", "importo iva", "valor iva", "btw bedrag", "vat", "tax",
        "gst", "sst", "sales tax", "total tax", "total vat", "total gst", "mwst", "ust", "umsatzsteuer",
        "mehrwertsteuer", "iva", "impuesto", "tva", "btw", "imposta", "igic", "irpf",
    ),
    "due": (
        "due payable", "payment due", "amount payable", "zahlbetrag", "offener betrag", "amount due",
        "balance due", "balance", "due", "to pay", "payable", "saldo", "restbetrag", "reste a payer",
        "importe pendiente", "da pagare", "valor a pagar", "openstaand",
    ),
    "paid": (
        "cash", "change", "tendered", "paid", "payment", "card", "visa", "mastercard", "master", "amex",
        "debit", "credit card", "rounding", "round", "adj", "cambio", "efectivo", "entregado", "bar",
        "gegeben", "zuruck", "ruckgeld", "especes", "rendu", "monnaie", "contanti", "resto", "troco",
        "dinheiro", "contant", "wisselgeld", "pin", "deposit", "anzahlung", "acompte", "anticipo",
        "already paid", "bereits bezahlt",
    ),
    "rounding": (
        "rounding", "round", "rounded", "rnd", "adj", "adjustment", "rounding adj", "arrondi", "rundung",
        "gerundet", "redondeo", "arrotondamento", "arredondamento", "afronding",
    ),
    "discount": (
        "discount", "disc", "rabatt", "skonto", "descuento", "remise", "sconto", "desconto", "korting",
        "savings", "saving", "promo",
    ),
    "qty": (
        "qty", "quantity", "menge", "anzahl", "cantidad", "quantite", "qte", "quantita", "quantidade",
        "aantal", "items", "item", "pcs", "units",
    ),
    "price": (
        "price", "unit price", "rate", "einzelpreis", "preis", "precio", "prix", "prezzo", "preco", "prijs",
        "u/p", "unit",
    ),
    "invoice_no": (
        "invoice no", "invoice number", "invoice #", "invoice", "inv no", "inv", "bill no", "receipt no",
        "receipt #", "receipt", "doc no", "document no", "no", "number", "nr", "ref", "reference",
        "rechnungsnummer", "rechnung nr", "rechnung", "belegnummer", "beleg", "numero", "num", "factura",
        "factura n", "no factura", "facture", "facture n", "numero de facture", "fattura", "numero fattura",
        "fattura n", "fatura", "factuurnummer", "factuur", "transaction", "trans", "ticket", "cash bill",
        "bill", "slip", "serial", "order no",
    ),
    "order": (
        "purchase order", "po", "p.o", "po number", "order", "order no", "your order", "bestellung",
        "bestellnummer", "auftrag", "pedido", "commande", "bon de commande", "ordine", "ordem", "encomenda",
        "bestelling", "inkooporder", "customer ref", "your ref", "ihr zeichen",
    ),
    "date": (
        "date", "invoice date", "dated", "issue date", "datum", "rechnungsdatum", "fecha", "fecha factura",
        "date de facture", "data", "data fattura", "data da fatura", "factuurdatum", "date issued",
        "tarikh", "time",
    ),
    "due_date": (
        "due date", "due", "payment due", "due by", "pay by", "falligkeit", "fallig", "zahlbar bis",
        "vencimiento", "fecha de vencimiento", "echeance", "date d'echeance", "scadenza",
        "data di scadenza", "vencimento", "data de vencimento", "vervaldatum", "uiterlijk",
    ),
    "other_date": (
        "delivery date", "order date", "ship date", "shipped", "period", "from", "to", "lieferdatum",
        "leistungsdatum", "fecha de entrega", "date de livraison", "data consegna", "leverdatum", "printed",
        "valid until", "expiry", "exp",
    ),
    "customer": (
        "herrn", "herr", "frau", "firma", "z hd", "monsieur", "madame", "mme", "senor", "senora", "dhr",
        "mevr", "spett", "gentile", "bill to", "billed to", "invoice to", "sold to", "ship to", "customer",
        "client", "buyer", "recipient", "to", "attn", "kunde", "rechnungsempfanger", "an", "cliente",
        "destinatario", "facturar a", "adresse de facturation", "klant", "factuuradres", "member", "name",
    ),
    "supplier": (
        "from", "seller", "supplier", "vendor", "sold by", "issued by", "lieferant", "verkaufer",
        "proveedor", "emisor", "fournisseur", "fornitore", "fornecedor", "leverancier",
    ),
    "contact": (
        "tel", "telephone", "phone", "fax", "mobile", "hp", "email", "e-mail", "www", "http", "website",
        "telefon", "telefono", "telefone", "tlf",
    ),
    "registration": (
        "vat id", "vat-id", "ust-id", "ust-idnr", "uid", "mwst-nr", "numero de tva", "n tva", "vat reg no",
        "tax reg", "codice fiscale", "btw nummer", "btw-id", "nif/cif", "gst reg no", "gst reg", "gst id",
        "gst no", "reg no", "company reg", "co reg", "roc", "vat no", "vat reg", "vat number", "tax id",
        "tin", "abn", "ust-idnr", "ust id", "steuernummer", "nif", "cif", "siret", "siren",
        "tva intracommunautaire", "partita iva", "p iva", "nipc", "kvk", "btw-nr", "sdn bhd", "bhd",
    ),
    "legal_form": (
        "gmbh", "ag", "kg", "ohg", "ug", "ltd", "limited", "llc", "inc", "corp", "co", "plc", "sdn bhd",
        "bhd", "enterprise", "trading", "s.l", "sl", "s.a", "sa", "sarl", "sas", "srl", "s.r.l", "spa",
        "s.p.a", "lda", "bv", "b.v", "nv", "n.v", "vof", "restaurant", "cafe", "store", "shop", "market",
        "mart", "supermarket", "hardware", "pharmacy",
    ),
    "street": (
        "street", "st", "road", "rd", "avenue", "ave", "lane", "drive", "jalan", "jln", "lorong", "taman",
        "strasse", "str", "weg", "platz", "allee", "calle", "avenida", "av", "plaza", "rue", "boulevard",
        "bd", "chemin", "via", "viale", "piazza", "corso", "rua", "travessa", "largo", "straat", "laan",
        "plein", "gracht", "no", "lot", "floor", "flr", "suite", "unit", "blok", "block",
    ),
    "page": (
        "page", "seite", "pagina", "blatt",
    ),
    "thanks": (
        "thank you", "thanks", "danke", "gracias", "merci", "grazie", "obrigado", "bedankt",
        "please come again", "welcome",
    ),
}
# fmt: on


def fold(text: str) -> str:
    """Case-folded, accent-stripped text with punctuation turned into spaces (keeps '#', '/')."""
    if text.isascii():  # nothing to decompose, and casefold is lower
        stripped = text.lower()
    else:
        stripped = "".join(
            ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch)
        )
    return re.sub(r"[^\w#/]+", " ", stripped).strip()


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    out = {}
    for group, words in GROUPS.items():
        alternatives = sorted({re.escape(fold(word)) for word in words if fold(word)}, key=len, reverse=True)
        out[group] = re.compile(r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])")
    return out


def groups_in(text: str) -> frozenset[str]:
    """The keyword groups with a word in ``text`` (cached: a line is asked about once per
    candidate on it and per neighbour)."""
    return _groups_in(text)


@lru_cache(maxsize=1)
def _phrase_groups() -> tuple[dict[str, frozenset[str]], int]:
    """Every folded keyword, with the groups it belongs to, and the longest keyword's length."""
    table: dict[str, set[str]] = {}
    for group, words in GROUPS.items():
        for word in words:
            if folded := fold(word):
                table.setdefault(folded, set()).add(group)
    return {phrase: frozenset(groups) for phrase, groups in table.items()}, max(map(len, table))


_NON_WORD = re.compile(r"\W")


@lru_cache(maxsize=8192)
def _groups_in(text: str) -> frozenset[str]:
    """What searching each group's pattern (``_patterns``) finds, in one pass: a keyword matches
    where it is the text between a start (the text's start, or after a non-word character) and
    an end (before a non-word character, or the text's end), so every such stretch no longer than
    the longest keyword is looked up in the table of keywords."""
    folded = fold(text)
    table, longest = _phrase_groups()
    cuts = [match.start() for match in _NON_WORD.finditer(folded)]
    if not cuts:
        groups = table.get(folded)
        return groups if groups is not None else frozenset()
    ends = [*cuts, len(folded)]
    found: set[str] = set()
    first_end = 0
    for start in (0, *(cut + 1 for cut in cuts)):
        while ends[first_end] <= start:
            first_end += 1
            if first_end == len(ends):
                return frozenset(found)
        limit = start + longest
        for end in ends[first_end:]:
            if end > limit:
                break
            groups = table.get(folded[start:end])
            if groups is not None:
                found.update(groups)
    return frozenset(found)


def group_hits(text: str) -> dict[str, int]:
    folded = fold(text)
    return {group: len(pattern.findall(folded)) for group, pattern in _patterns().items()}
