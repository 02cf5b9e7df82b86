"""Which kind of document this is: weighted keyword and layout evidence, a softmax, the user's hint.

Why hand-weighted evidence and not a trained model: business documents announce their type in a
few printed words ("Rechnung", "Lieferschein", "Kontoauszug"), in seven languages, and no labelled
corpus of every type ships with the service. A sum of weights is cheap, needs no model file, and a
reviewer can be told why a document was typed the way it was.

Evidence, strongest first:
- a title in the top third of page 1: its weight grows with the text height (titles are printed
  large) and shrinks when the line holds more than the title and a number ("Invoice No 12" is a
  title, "Please pay this invoice within 30 days" is not). Only the best title per type counts, and
  the single most prominent title on the page gets a lead bonus, so a header reference such as
  "Purchase Order: 4500123" on an invoice loses to the large "INVOICE" above it;
- layout: a till-shaped page (height/width > 2, or text in a narrow tall column) and many short
  rows ending in one price mean a receipt; a debit/credit/balance column header means a bank
  statement; a delivery note prints quantities and no prices;
- body keywords (due date, IBAN, bill to -> invoice; cash, change, cashier -> receipt; ...), each
  counted once and capped per type so that a long document cannot out-shout its own title.

Receipts in Malaysia, Singapore and Australia must be titled "TAX INVOICE" (or "SIMPLIFIED TAX
INVOICE"), so on a till-shaped page an invoice title is damped and "simplified tax invoice" is a
receipt phrase: the page shape and cash/change words decide.

Scores become probabilities with a softmax; "other" has a fixed pseudo-score, so it wins when no
type collects enough evidence. The hint from the upload is respected: when given, it is the
returned ``type`` (the user is in charge of their own upload). When the evidence clearly says
another type, the hinted type is still returned, with its (low) probability as the confidence so
that the document is routed to review, and a ``hint_mismatch`` sentence; ``scores`` keeps the
evidence's own verdict. A hint naming a type this module does not know (a custom type) is taken as
is: there is no evidence to contradict it.

Matching is accent- and case-insensitive and tolerant of OCR noise: l/1/I/| read as one letter,
0 as o, and title words of 7+ letters may be one edit off ("lnvoice", "Rechnunq"). Body keywords
match exactly (after that mapping): fuzzy short words collide with ordinary ones ("contant" and
"contact").
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median

from docintake.extraction.layout import Line

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

# Weights are in log-odds units (TEMPERATURE 1: one point multiplies a type's odds by e). They were
# set by hand on typical layouts per type and language, then checked on the cases in
# tests/unit/test_classify.py: a title alone at body-text size gives ~0.85, printed twice as large
# ~0.95, with two or three body words > 0.98; two body words alone ~0.35 (just ahead of "other"); one
# stray word, or a title word inside a sentence, stays below "other".
TEMPERATURE = 1.0
OTHER_BASELINE = 1.5  # the pseudo-score of "other": a type needs more than this to win
TITLE_WEIGHT = 3.0  # a title in the title zone, at the page's median text height, alone on its line
TITLE_LEAD = 1.0  # bonus for the single most prominent title of page 1
TITLE_ZONE = 1 / 3  # titles are looked for above this fraction of page 1
TITLE_ELSEWHERE = 0.6  # a title phrase anywhere else (once per type): "as per our invoice ..."
NARROW_INVOICE_DAMPING = 0.4  # an invoice title on a till-shaped page ("TAX INVOICE" receipts)
NARROW_WEIGHT = 2.5  # till-shaped page -> receipt
NARROW_ASPECT = 2.0  # height/width above which a page or its text column is till-shaped
TILL_ROWS_WEIGHT = 1.0  # most rows are "item  price" -> receipt
STATEMENT_COLUMNS_WEIGHT = 2.0  # a row with two of debit/credit/balance -> bank statement
NO_PRICES_WEIGHT = 1.2  # delivery-note evidence and not one price on the document
BODY_CAP = 3.2  # most body evidence one type can collect
HINT_FLOOR = 0.5  # confidence of a hinted type the evidence does not contradict
MISMATCH_PROBABILITY = 0.8  # the evidence's type must be at least this sure ...
MISMATCH_MARGIN = 0.4  # ... and this far ahead of the hinted type to report a mismatch
TITLE_EXTRA_WORDS = 3  # a title line holds at most this many other words (numbers and "No" aside)
FUZZY_MIN_LENGTH = 7  # title words this long may be one edit off

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
_LABEL_WORDS = ("no", "nr", "n", "nro", "number", "num", "numero", "nummer", "ref", "o", "de", "di", "d")
_OCR_MAP = str.maketrans({"1": "i", "l": "i", "|": "i", "!": "i", "0": "o"})
_TOKEN = re.compile(r"[^\W_]+(?:[|!][^\W_]+)*")
AMOUNT = re.compile(r"(?<![\d.,])-?\d{1,3}(?:[.,']?\d{3})*[.,]\d{2}(?![\d.,%])")
_ENDS_IN_PRICE = re.compile(AMOUNT.pattern + r"\s*[A-Z*€$£]{0,3}\s*$")


def fold(text: str) -> str:
    """Accents removed and case folded: "Nº Crédito" -> "no credito"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _skeleton(token: str) -> str:
    return token.translate(_OCR_MAP) if any(c.isalpha() for c in token) else token


def tokens(text: str) -> list[str]:
    """The words of ``text`` as OCR-tolerant skeletons ("INVOlCE" and "lnvoice" -> "invoice")."""
    return [_skeleton(t) for t in _TOKEN.findall(fold(text))]


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] if len(a) == len(b) else a[i:] == b[i + 1 :]


def _same(token: str, word: str, fuzzy: bool) -> bool:
    return token == word or (fuzzy and len(word) >= FUZZY_MIN_LENGTH and _one_edit(token, word))


@dataclass(frozen=True)
class Phrase:
    type: str
    words: tuple[str, ...]
    weight: float = 0.0
    strict: bool = False
    joined: str = ""  # the words run together ("creditnote"); set by ``_phrase``


def _phrase(type_: str, text: str, weight: float = 0.0) -> Phrase:
    words = tuple(tokens(text.lstrip("=")))
    return Phrase(type_, words, weight, text.startswith("="), "".join(words))


def _split(phrases: str) -> list[str]:
    return [p.strip() for p in phrases.split(",") if p.strip()]


def _substitutions(word: str) -> set[str]:
    """``word`` with each letter in turn replaced by a wildcard: two words of one length are one
    substitution apart exactly when they share one of these."""
    return {f"{word[:i]}\0{word[i + 1 :]}" for i in range(len(word))}


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class _PhraseIndex:
    """A phrase list indexed for ``find``: a line holds a few words and the lists hundreds of
    phrases, so phrases are looked up by the words present (first word, or the words run together)
    instead of each phrase being tried against the line. Fuzzy lookups go through one-edit keys
    of the long targets (first word, or the words run together), computed once per phrase: a word
    is one edit from a target when they share a wildcard substitution, when the word is the target
    less one letter, or the target the word less one letter."""

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = tuple(phrases)
        self.exact: dict[str, set[int]] = {}  # first word or joined words -> phrase positions
        self.substituted: dict[str, set[int]] = {}  # a target with one letter wildcarded
        self.shortened: dict[str, set[int]] = {}  # a target less one letter
        self.targets: dict[str, set[int]] = {}
        for position, phrase in enumerate(self.phrases):
            for key in (phrase.words[0], phrase.joined):
                self.exact.setdefault(key, set()).add(position)
            if len(phrase.joined) < FUZZY_MIN_LENGTH:
                continue  # only a long word may match with one edit
            for target in (phrase.words[0], phrase.joined):
                if len(target) >= FUZZY_MIN_LENGTH:
                    self.targets.setdefault(target, set()).add(position)
                    for key in _substitutions(target):
                        self.substituted.setdefault(key, set()).add(position)
                    for key in _deletions(target):
                        self.shortened.setdefault(key, set()).add(position)

    def candidates(self, words: Sequence[str], fuzzy: bool) -> list[Phrase]:
        """The phrases that can match ``words``, in list order (the order ``find`` tries them)."""
        present = set(words)
        positions: set[int] = set()
        for word in present:
            positions.update(self.exact.get(word, ()))
            if fuzzy:
                positions.update(self.shortened.get(word, ()))
                if len(word) >= FUZZY_MIN_LENGTH:  # shorter words are no long target's neighbours
                    for key in _substitutions(word):
                        positions.update(self.substituted.get(key, ()))
                if len(word) > FUZZY_MIN_LENGTH:
                    for key in _deletions(word):
                        positions.update(self.targets.get(key, ()))
        return [self.phrases[p] for p in sorted(positions)]


_TITLE_PHRASES = _PhraseIndex(_phrase(t, p) for t, phrases in TITLES.items() for p in _split(phrases))
_BODY_PHRASES = _PhraseIndex(_phrase(t, p, w) for (t, w), phrases in BODY.items() for p in _split(phrases))
_LABELS = frozenset(tokens(" ".join(_LABEL_WORDS)))
_COLUMNS = [frozenset(w for p in _split(group) for w in tokens(p)) for group in STATEMENT_COLUMNS]


def find(
    words: Sequence[str], phrases: Iterable[Phrase] | _PhraseIndex, fuzzy: bool = False
) -> list[tuple[Phrase, int, int]]:
    """Non-overlapping phrase matches (phrase, first token, end token); longer phrases win an
    overlap ("facture d'avoir" over "facture"). A phrase also matches its words run together
    ("creditnote"), as OCR and compound spellings have them."""
    index = phrases if isinstance(phrases, _PhraseIndex) else _PhraseIndex(phrases)
    found: list[tuple[Phrase, int, int]] = []
    for phrase in index.candidates(words, fuzzy):
        size = len(phrase.words)
        for start in range(len(words)):
            if all(
                start + k < len(words) and _same(words[start + k], w, fuzzy)
                for k, w in enumerate(phrase.words)
            ):
                found.append((phrase, start, start + size))
            elif size > 1 and _same(words[start], phrase.joined, fuzzy):
                found.append((phrase, start, start + 1))
    found.sort(key=lambda m: (-len(m[0].words), -len(m[0].joined), m[1]))
    taken: set[int] = set()
    kept = []
    for match in found:
        span = set(range(match[1], match[2]))
        if not span & taken:
            taken |= span
            kept.append(match)
    return kept


def title_of(line: Line, fuzzy: bool = True) -> tuple[str, float] | None:
    """The document type a line announces as a title, and how prominent it is: 1.0 for the title and
    at most a number, 0.7 with a few more words; a longer line is a sentence, not a title."""
    return _title(tokens(line.text), fuzzy)


def _title(words: list[str], fuzzy: bool) -> tuple[str, float] | None:
    best: tuple[str, float] | None = None
    for phrase, start, end in find(words, _TITLE_PHRASES, fuzzy):
        rest = [
            w
            for i, w in enumerate(words)
            if not start <= i < end and w not in _LABELS and len(w) > 1 and not any(c.isdigit() for c in w)
        ]
        if (phrase.strict and rest) or len(rest) > TITLE_EXTRA_WORDS:
            continue
        prominence = 0.7 if rest else 1.0
        if best is None or prominence > best[1]:
            best = (phrase.type, prominence)
    return best


def rows(lines: Iterable[Line]) -> list[list[Line]]:
    """Lines of one page on one baseline, left to right (layout splits a row at wide gaps)."""
    out: list[list[Line]] = []
    for line in sorted(lines, key=lambda item: (item.page, (item.box.y0 + item.box.y1) / 2)):
        if out and out[-1][-1].page == line.page:
            last = out[-1][-1]
            limit = 0.5 * min(max(last.height, 1e-6), max(line.height, 1e-6))
            if abs((last.box.y0 + last.box.y1) - (line.box.y0 + line.box.y1)) / 2 <= limit:
                out[-1].append(line)
                continue
        out.append([line])
    return [sorted(row, key=lambda item: item.box.x0) for row in out]


def _narrow(lines: Sequence[Line]) -> bool:
    first = lines[0]
    if first.page_width and first.page_height / first.page_width > NARROW_ASPECT:
        return True
    if len(lines) < 8:
        return False
    width = (max(x.box.x1 for x in lines) - min(x.box.x0 for x in lines)) * first.page_width
    height = (max(x.box.y1 for x in lines) - min(x.box.y0 for x in lines)) * first.page_height
    return width > 0 and height / width > NARROW_ASPECT


@dataclass(frozen=True)
class Classification:
    type: str
    confidence: float
    scores: dict[str, float]  # the evidence's probability per type (the hint plays no part)
    hint_mismatch: str | None


def evidence(lines: Sequence[Line]) -> dict[str, float]:
    """The summed evidence weight per type ("other" excluded)."""
    score = dict.fromkeys(TYPES[:-1], 0.0)
    if not lines:
        return score
    first_page = min(line.page for line in lines)
    page_one = [line for line in lines if line.page == first_page]
    typical = median(max(line.height, 1e-6) for line in page_one)
    narrow = _narrow(page_one)

    titles: dict[str, float] = {}
    elsewhere: set[str] = set()
    body: dict[str, float] = dict.fromkeys(score, 0.0)
    seen: set[Phrase] = set()
    for line in lines:
        in_zone = line.page == first_page and line.box.y0 < TITLE_ZONE
        words = tokens(line.text)
        title = _title(words, fuzzy=in_zone)
        if title and in_zone:
            size = min(max(line.height / typical, 0.8), 2.5) ** 0.5
            titles[title[0]] = max(titles.get(title[0], 0.0), TITLE_WEIGHT * size * title[1])
        elif title:
            elsewhere.add(title[0])
        for phrase, _, _ in find(words, _BODY_PHRASES):
            if phrase not in seen:
                seen.add(phrase)
                body[phrase.type] += phrase.weight
    if titles:
        lead = max(titles, key=lambda t: titles[t])
        titles[lead] += TITLE_LEAD
    if narrow and "invoice" in titles:
        titles["invoice"] *= NARROW_INVOICE_DAMPING
    for type_ in score:
        score[type_] = titles.get(type_, 0.0) + (TITLE_ELSEWHERE if type_ in elsewhere else 0.0)
        score[type_] += min(body[type_], BODY_CAP)

    texts = [" ".join(line.text for line in row) for row in rows(lines)]
    till = sum(
        1
        for text in texts
        if len(text.split()) <= 6 and len(AMOUNT.findall(text)) == 1 and _ENDS_IN_PRICE.search(text)
    )
    if narrow:
        score["receipt"] += NARROW_WEIGHT
    if till >= 4 and till >= 0.4 * len(texts):
        score["receipt"] += TILL_ROWS_WEIGHT
    if any(_column_groups(set(tokens(text))) >= 2 for text in texts):
        score["bankStatement"] += STATEMENT_COLUMNS_WEIGHT
    if score["deliveryNote"] > 0 and not any(AMOUNT.search(text) for text in texts):
        score["deliveryNote"] += NO_PRICES_WEIGHT
    return score


def _column_groups(words: set[str]) -> int:
    return sum(1 for group in _COLUMNS if group & words)


def _bare(type_: str) -> str:
    return NAMES[type_].split(" ", 1)[1] if type_ != "other" else "other"


def probabilities(score: dict[str, float]) -> dict[str, float]:
    logits = {**score, "other": OTHER_BASELINE}
    top = max(logits.values())
    exps = {t: math.exp((v - top) / TEMPERATURE) for t, v in logits.items()}
    total = sum(exps.values())
    return {t: exps[t] / total for t in TYPES}


def classify(lines: Sequence[Line], type_hint: str | None = None) -> Classification:
    """The document type of ``lines`` (one logical document, in reading order)."""
    probs = probabilities(evidence(lines))
    found = max(probs, key=lambda t: probs[t])
    if type_hint is None:
        return Classification(found, probs[found], probs, None)
    if type_hint not in probs:
        return Classification(type_hint, HINT_FLOOR, probs, None)
    hinted = probs[type_hint]
    clear = (
        found not in (type_hint, "other")
        and probs[found] >= MISMATCH_PROBABILITY
        and probs[found] - hinted >= MISMATCH_MARGIN
    )
    if clear:
        sentence = (
            f"the upload said {_bare(type_hint)}, but the document reads as "
            f"{NAMES[found]} ({probs[found]:.2f})"
        )
        return Classification(type_hint, hinted, probs, sentence)
    return Classification(type_hint, max(hinted, HINT_FLOOR), probs, None)
