"""Receipt items: the item rows of a page that has no items table header.

Design choices:

* Receipts have no header: items are the rows above the first total whose last amount sits in
  the right-most amount column, with "2 x 3.50" style quantities on the row itself or on the row
  just above or below. Payment, tax and total rows are skipped by keyword.
* A description row without an amount waits for a quantity-and-amount row just under it; a
  quantity row without a description completes the item just above, else lends its quantity to
  the next item. A discount row counts only with a negative amount.
* This is the fallback of ``tables.extract_line_items``, used only when the items-table reading
  found no items (usually: no header row): reading by column is better evidence when it exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from docintake.extraction.model import LineItem
from docintake.extraction.normalize import find_amounts, format_amount, parse_amount
from docintake.extraction.rows import (
    CENTS,
    TIMES,
    _adjacent,
    _Draft,
    _finish,
    _fold_tokens,
    _has_phrase,
    _keys,
    _plain,
    _Row,
    _totalish,
)

# fmt: off
RECEIPT_SKIP = frozenset((
    "total", "subtotal", "change", "tendered", "tender", "rounding", "gst", "vat", "tax", "mwst", "tva", "iva",
    "btw", "visa", "mastercard", "amex", "gratuity", "tip", "balance", "payment", "paid", "due", "kembali",
    "tunai", "ruckgeld", "gegeben", "efectivo", "cambio", "especes", "rendu", "summe", "saldo", "date", "time",
    "tel", "fax", "invoice", "receipt", "cashier", "gross", "subtot", "amount", "bal", "purchase",
))
RECEIPT_STOP = ("total", "subtotal", "sub total", "grand total", "amount due", "balance due", "summe",
                "zu zahlen", "gesamt", "totaal", "te betalen", "totale", "importe total", "a payer")
RECEIPT_FIRST_SKIP = frozenset(("cash", "card", "credit", "debit", "bar", "eftpos", "net"))
DISCOUNT = frozenset(("discount", "disc", "rabatt", "descuento", "remise", "sconto", "desconto", "korting",
                      "coupon", "savings"))
# fmt: on
LEADING_QTY = re.compile(r"^\s*(\d{1,2})\s*[xX×]?\s+(?=[^\W\d_]{2})")
STOP_KEYS = _keys(RECEIPT_STOP)


@dataclass
class _ReceiptRow:
    row: _Row
    description: str
    amount: Decimal | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    price: Decimal | None = None


def _receipt_row(row: _Row, hint: str | None, right: float, tol: float) -> _ReceiptRow:
    """Quantity pattern, right-aligned amount and the description left of it, for one row."""
    out = _ReceiptRow(row, "")
    masked: list[str] = []
    candidates: list[tuple[float, Decimal, int, int]] = []  # (x1, value, segment, start)
    for n, line in enumerate(row.lines):
        text, hidden = line.text, [False] * len(line.text)
        amounts = find_amounts(text, hint)
        times = TIMES.search(text)
        quantity = parse_amount(times["q"] or times["n"], hint) if times else None
        if times and quantity and out.quantity is None:
            out.quantity, out.unit = quantity, times["u"]
            out.price = parse_amount(times["p"], hint) if times["p"] else None
            hidden[times.start() : times.end()] = [True] * (times.end() - times.start())
        for start, end, value in amounts:
            x1 = line.span_box(start, end).x1
            if not any(hidden[start:end]) and CENTS.search(text[start:end]) and x1 >= right - tol:
                candidates.append((x1, value, n, start))
        masked.append("".join(" " if hide else ch for ch, hide in zip(text, hidden, strict=True)))
    if candidates:
        _, out.amount, segment, start = max(candidates, key=lambda c: c[0])
        masked = [*masked[:segment], masked[segment][:start]]  # what is right of the amount is a tax code
    desc = " ".join(" ".join(masked).split())
    lead = LEADING_QTY.match(desc)
    if lead and out.quantity is None and out.amount is not None:
        out.quantity, desc = Decimal(lead[1]), desc[lead.end() :]
    desc = re.sub(r"(?:\s+(?:[$€£¥:]|EUR|USD|RM))+$", "", desc)  # a currency column left of the amount
    out.description = desc if sum(c.isalpha() for c in desc) >= 2 else ""
    return out


def _receipt_items(rows: list[_Row], hint: str | None) -> list[LineItem]:
    folded = [_fold_tokens(row.text) for row in rows]
    stop = next(
        (
            i
            for i, toks in enumerate(folded)
            if (_has_phrase(toks, STOP_KEYS) or _totalish(toks, True)) and find_amounts(rows[i].text, hint)
        ),
        len(rows),
    )
    ends = [
        line.span_box(s, e).x1
        for row in rows[: stop + 1]
        for line in row.lines
        for s, e, _ in find_amounts(line.text, hint)
        if CENTS.search(line.text[s:e])
    ]
    if not ends:
        return []
    right = max(ends)
    left = min(row.box.x0 for row in rows[: stop + 1])
    tol = max(0.03, 0.12 * (right - left))
    drafts: list[_Draft] = []
    pending: _ReceiptRow | None = None  # a description row, or a quantity row without its item
    for row, toks in zip(rows[:stop], folded[:stop], strict=True):
        r = _receipt_row(row, hint, right, tol)
        discount = bool(DISCOUNT & set(toks))
        if (
            RECEIPT_SKIP & set(toks)
            or _totalish(toks)
            or (toks and toks[0] in RECEIPT_FIRST_SKIP)
            or (discount and not (r.amount or 0) < 0)
        ):
            pending = None
            continue
        last = drafts[-1] if drafts else None
        if r.description and r.amount is not None:
            draft = _Draft(LineItem(description=r.description), [row])
            if r.quantity is None and pending and not pending.description and _adjacent(pending.row, row):
                r.quantity, r.price, r.unit = pending.quantity, pending.price, pending.unit
                draft.rows.insert(0, pending.row)
            drafts.append(draft)
            pending = None
        elif r.quantity is not None and not r.description:
            if r.amount is not None and pending and pending.description and _adjacent(pending.row, row):
                draft = _Draft(LineItem(description=pending.description), [pending.row, row])
                drafts.append(draft)
            elif last and last.item.quantity is None and _adjacent(last.rows[-1], row):
                last.rows.append(row)
                last.item.quantity = _plain(r.quantity)
                last.item.unit_price = format_amount(r.price) if r.price is not None else None
                last.item.unit = r.unit
                pending = None
                continue
            else:
                pending = r
                continue
            pending = None
        elif r.description and r.amount is None and r.quantity is None:
            pending = r
            continue
        else:
            pending = None
            continue
        item = drafts[-1].item
        item.amount = format_amount(r.amount) if r.amount is not None else None
        item.quantity = _plain(r.quantity) if r.quantity is not None else None
        item.unit_price = format_amount(r.price) if r.price is not None else None
        item.unit = r.unit
    return _finish(drafts, 0.45)
