"""Bank statements: a bank letterhead, the account holder, and a running-balance ledger.

They matter mostly to the document classifier (statements are full of dates and amounts and
must not be mistaken for invoices) and as hard negatives for field extraction: the account IBAN
printed here belongs to the holder, so it is deliberately *not* labelled as a supplier IBAN.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from training.synthetic import ids, vocab
from training.synthetic.content import (
    Blocks,
    Column,
    Ctx,
    Party,
    contact_lines,
    label_party,
    make_company,
    person_name,
)
from training.synthetic.terms import TERMS

Item = dict[str, str | None]
BANK_PATTERNS = {"en": "{s} Bank|{s} Savings Bank|Bank of {s}", "es": "Banco {s}|Caja {s}",
                 "fr": "Banque {s}|Crédit {s}", "de": "{s} Bank AG|Sparkasse {s}|{s}bank eG",
                 "it": "Banca {s}|Cassa di Risparmio di {s}", "pt": "Banco {s}|Caixa {s}",
                 "nl": "{s} Bank N.V.|{s}bank"}  # fmt: skip


def build_statement(ctx: Ctx) -> tuple[Blocks, list[Item], list[Item]]:
    rng, fmt, lang = ctx.rng, ctx.fmt, ctx.lang
    bank = make_company(ctx, ctx.country)
    bank.name = ctx.pick_of(BANK_PATTERNS[lang]).format(s=bank.stem.capitalize())
    holder = make_company(ctx, ctx.country)
    if ctx.chance(0.6):
        holder.name = person_name(ctx, lang)
    blocks = Blocks(title=ctx.term("title_bankStatement"), issuer=Party(None, [bank.name, *bank.lines]))
    blocks.page_label, blocks.continued = ctx.term("page"), ctx.term("continued")
    label_party(ctx, "supplier", bank)
    label_party(ctx, "customer", holder)
    blocks.issuer_contact = contact_lines(ctx, bank, role="supplier", tax_id=ctx.chance(0.2))
    blocks.recipient = Party(ctx.term("holder") if ctx.chance(0.4) else None, [holder.name, *holder.lines])

    start = date(2019, 1, 1) + timedelta(days=rng.randint(0, 7 * 365 - 60))
    end = start + timedelta(days=rng.choice((6, 13, 27, 29, 30)))
    issued = end + timedelta(days=rng.randint(0, 3))
    account = ids.iban(rng, ctx.country)
    account_text = ids.print_iban(rng, account) if account else f"{rng.randint(10**8, 10**10)}"
    meta = [
        ("IBAN" if account else ctx.term("account_no"), account_text),
        (ctx.term("period"), f"{fmt.date(start)} - {fmt.date(end)}"),
        (ctx.term("date_bankStatement"), fmt.date(issued)),
    ]
    ctx.label("issue_date", issued.isoformat(), fmt.date(issued))
    if ctx.chance(0.6):
        meta.append((ctx.term("no_statement"), f"{rng.randint(1, 12)}/{start.year}"))
    if ctx.chance(0.5):
        meta.append(("BIC", ids.bic(rng, ctx.country)))
    currency_word = {"en": "Currency", "es": "Divisa", "fr": "Devise", "de": "Währung", "it": "Valuta",
                     "pt": "Moeda", "nl": "Valuta"}[lang]  # fmt: skip
    meta.append((currency_word, ctx.currency))
    ctx.label("currency", ctx.currency, ctx.currency)
    blocks.meta = meta

    value_date = ctx.chance(0.3)
    split = ctx.chance(0.7)  # separate debit / credit columns, otherwise one signed amount column
    cols = [Column("date", ctx.term("col_date"))]
    if value_date:
        cols.append(Column("value_date", ctx.term("col_value_date")))
    cols.append(Column("description", ctx.term("col_tx")))
    if split:
        cols += [
            Column("debit", ctx.term("col_debit"), "right"),
            Column("credit", ctx.term("col_credit"), "right"),
        ]
    else:
        cols.append(Column("amount", ctx.term("col_tx_amount"), "right"))
    cols.append(Column("balance", ctx.term("col_balance"), "right"))
    blocks.columns = cols

    balance = Decimal(rng.randint(-50000, 900000)) / 100
    opening = balance
    debits = credits = Decimal(0)
    kinds = TERMS["tx"][lang].split("|")
    count = rng.randint(4, 16) if ctx.chance(0.8) else rng.randint(20, 45)
    days = sorted(start + timedelta(days=rng.randint(0, (end - start).days)) for _ in range(count))
    for day in days:
        kind = rng.randrange(len(kinds))
        text = kinds[kind]
        if kind in (0, 1, 2):
            text += " " + (person_name(ctx, lang) if kind == 1 else make_name(ctx))
        if kind == 3:
            amount = Decimal(rng.randint(150000, 600000)) / 100
        elif kind == 5:
            amount = Decimal(rng.randint(1, 900)) / 100
        else:
            amount = -Decimal(rng.randint(100, 150000)) / 100
        balance += amount
        row = {"date": fmt.date(day), "value_date": fmt.date(day + timedelta(days=rng.choice((0, 0, 1, 2)))),
               "description": text, "balance": fmt.number(balance)}  # fmt: skip
        if split:
            row["debit" if amount < 0 else "credit"] = fmt.number(abs(amount))
        else:
            row["amount"] = fmt.number(amount)
        debits += -amount if amount < 0 else 0
        credits += amount if amount > 0 else 0
        blocks.rows.append(row)
    blocks.totals = [
        (ctx.term("opening"), fmt.number(opening), False),
        (ctx.term("col_debit"), fmt.number(debits), False),
        (ctx.term("col_credit"), fmt.number(credits), False),
        (ctx.term("closing"), fmt.money(balance), True),
    ]
    blocks.footer = [f"BIC {ids.bic(rng, ctx.country)}"] if ctx.chance(0.5) else []
    return blocks, [], []


def make_name(ctx: Ctx) -> str:
    return f"{ctx.rng.choice(vocab.STEM_HEADS)}{ctx.rng.choice(vocab.STEM_TAILS)}".upper()
