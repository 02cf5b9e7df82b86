"""Till receipts: a shop header, terse item lines, tax-inclusive totals, payment and change.

Receipts are the documents extraction gets most wrong: labels are abbreviated or missing, the
same amount appears three times (total, card payment, tax summary gross), cash rounding makes the
paid amount differ from the sum, and the date and time share one line. Prices are tax-inclusive
outside the US, so the tax is worked out backwards from the gross per rate, as tills do.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from training.synthetic import ids, vocab
from training.synthetic.content import Blocks, Column, Ctx, Party, contact_lines, label_party, make_company
from training.synthetic.formats import label_amount, label_number, to_cents
from training.synthetic.terms import TAX_RATES, TERMS

Item = dict[str, str | None]
CASH_ROUNDING = ("NL", "BE", "IE", "MY")
UNIT_PER_KG = {"en": "/kg", "es": "/kg", "fr": "/kg", "de": "/kg", "it": "/kg", "pt": "/kg", "nl": "/kg"}
DATE_WORD = {
    "en": "Date",
    "es": "Fecha",
    "fr": "Date",
    "de": "Datum",
    "it": "Data",
    "pt": "Data",
    "nl": "Datum",
}


def build_receipt(ctx: Ctx) -> tuple[Blocks, list[Item], list[Item]]:
    rng, fmt, lang = ctx.rng, ctx.fmt, ctx.lang
    shop = make_company(ctx, ctx.country, shop=True)
    title = ctx.term("title_receipt") if ctx.chance(0.55) else None
    if title and ctx.country in ("MY", "SG") and ctx.chance(0.4):
        title = "Tax Invoice"
    blocks = Blocks(title=title, issuer=Party(None, [shop.name, *shop.lines]))
    blocks.page_label, blocks.continued = ctx.term("page"), ctx.term("continued")
    label_party(ctx, "supplier", shop)
    blocks.issuer_contact = contact_lines(ctx, shop, role="supplier", tax_id=ctx.chance(0.7))

    day = date(2019, 1, 1) + timedelta(days=rng.randint(0, 7 * 365 - 1))
    hh, mm, ss = rng.randint(7, 21), rng.randint(0, 59), rng.randint(0, 59)
    time_text = f"{hh:02d}:{mm:02d}:{ss:02d}" if ctx.chance(0.5) else f"{hh:02d}:{mm:02d}"
    ctx.label("issue_date", day.isoformat(), fmt.date(day))
    ctx.label("transaction_time", f"{hh:02d}:{mm:02d}:{ss if len(time_text) > 5 else 0:02d}", time_text)
    number = ids.doc_number(rng, day.year, "receipt")
    meta: list[tuple[str, str]] = []
    if ctx.chance(0.5):
        meta.append(("", f"{fmt.date(day)} {time_text}"))
    else:
        meta += [(DATE_WORD[lang], fmt.date(day)), (ctx.term("time"), time_text)]
    if ctx.chance(0.75):
        meta.append((ctx.term("no_receipt"), number))
        ctx.label("invoice_number", number, number)
    if ctx.chance(0.5):
        meta.append((ctx.term("cashier"), str(rng.randint(1, 40))))
    if ctx.chance(0.5):
        meta.insert(0, meta.pop())
    blocks.meta = meta

    inclusive = ctx.country != "US"
    rates = TAX_RATES[ctx.country]
    codes = {rate: "ABCD"[i] for i, rate in enumerate(dict.fromkeys(rates))}
    code_style = rng.choice(("letter", "rate", "none"))
    count = rng.randint(1, 9) if ctx.chance(0.85) else rng.randint(10, 28)
    items: list[Item] = []
    lines: list[tuple[Decimal, str]] = []  # (amount, rate)
    for _ in range(count):
        low, high, names = rng.choice(vocab.RETAIL_ITEMS)
        desc = names[vocab.LANG_INDEX[lang]]
        if ctx.chance(0.3):
            desc = desc.upper()
        price = Decimal(str(round(rng.uniform(low, high), 2))).max(Decimal("0.05"))
        rate = rng.choice(rates)
        row = {"description": desc}
        item: Item = {"description": desc, "product_code": None, "quantity": None, "unit": None,
                      "unit_price": None, "tax_rate": None}  # fmt: skip
        weighed = ctx.chance(0.08)
        qty = (
            Decimal(rng.randint(150, 2500)).scaleb(-3)
            if weighed
            else Decimal(rng.choice((1, 1, 1, 1, 2, 2, 3, 4, 6)))
        )
        amount = to_cents(qty * price)
        if weighed:
            row["detail"] = f"{fmt.quantity(qty)} kg x {fmt.number(price)}{UNIT_PER_KG[lang]}"
            item.update(quantity=label_number(qty), unit="kg", unit_price=label_amount(price))
        elif qty != 1 or ctx.chance(0.1):
            row["detail"] = (
                f"{fmt.quantity(qty)} x {fmt.number(price)}"
                if ctx.chance(0.8)
                else f"{fmt.quantity(qty)} @ {fmt.number(price)}"
            )
            item.update(quantity=label_number(qty), unit_price=label_amount(price))
        row["amount"] = fmt.number(amount)
        if code_style == "letter":
            row["tax_code"] = codes[rate]
        elif code_style == "rate":
            row["tax_code"] = fmt.rate(Decimal(rate))
            item["tax_rate"] = label_number(Decimal(rate))
        item["amount"] = label_amount(amount)
        blocks.rows.append(row)
        items.append(item)
        lines.append((amount, rate))
    blocks.columns = [Column("description", ctx.term("col_description")), Column("amount", "", "right")]
    if code_style != "none":
        blocks.columns.append(Column("tax_code", "", "left"))
    return blocks, items, _totals(ctx, blocks, lines, codes, inclusive, code_style)


def _totals(ctx: Ctx, blocks: Blocks, lines: list[tuple[Decimal, str]], codes: dict[str, str], inclusive: bool,
            code_style: str) -> list[Item]:  # fmt: skip
    rng, fmt = ctx.rng, ctx.fmt
    sums: dict[str, Decimal] = {}
    for amount, rate in lines:
        sums[rate] = sums.get(rate, Decimal(0)) + amount
    gross: dict[str, Decimal] = {}
    net: dict[str, Decimal] = {}
    tax: dict[str, Decimal] = {}
    for rate, value in sums.items():
        factor = Decimal(rate) / 100
        if inclusive:
            net[rate] = to_cents(value / (1 + factor))
            tax[rate], gross[rate] = value - net[rate], value
        else:
            net[rate], tax[rate] = value, to_cents(value * factor)
            gross[rate] = value + tax[rate]
    subtotal = sum(net.values(), Decimal(0))
    tax_total = sum(tax.values(), Decimal(0))
    total = subtotal + tax_total
    money_style = rng.random()
    symbol = fmt.money_pattern.replace("{v}", "").strip()

    def val(value: Decimal, strong: bool = False) -> str:
        return fmt.money(value) if strong and money_style < 0.4 else fmt.number(value)

    totals = blocks.totals
    if ctx.chance(0.3):
        totals.append((ctx.term("total_qty"), str(len(lines)), False))
    tax_lines: list[Item] = []
    if not inclusive or ctx.chance(0.2):
        totals.append((ctx.term("subtotal"), val(subtotal), False))
        ctx.label("subtotal_amount", label_amount(subtotal), val(subtotal))
        for rate in sorted(sums, key=Decimal):
            totals.append((ctx.term("tax_rate", rate=fmt.rate(Decimal(rate))), val(tax[rate]), False))
            tax_lines.append(
                {
                    "rate": label_number(Decimal(rate)),
                    "base_amount": None,
                    "tax_amount": label_amount(tax[rate]),
                }
            )
        if len(sums) == 1:
            ctx.label("tax_amount", label_amount(tax_total), val(tax_total))
    total_label = ctx.term("total_receipt")
    if money_style >= 0.4 and money_style < 0.7:
        total_label += f" {ctx.currency}"
        ctx.label("currency", ctx.currency, ctx.currency)
    elif money_style < 0.4:
        ctx.label("currency", ctx.currency, symbol)
    paid = total
    cash = ctx.chance(0.45)
    if ctx.country in CASH_ROUNDING and cash and ctx.chance(0.7):
        paid = (total / Decimal("0.05")).quantize(Decimal(1), ROUND_HALF_UP) * Decimal("0.05")
    if paid != total:
        totals.append((ctx.term("total"), val(total), False))
        totals.append((ctx.term("rounding"), fmt.number(paid - total), False))
        ctx.extras["rounding"] = label_amount(paid - total)
    totals.append((total_label, val(paid, True), True))
    ctx.label("total_amount", label_amount(paid), val(paid, True))
    if cash:
        given = next(Decimal(n) for n in (5, 10, 20, 50, 100, 200, 500, 1000) if n >= paid)
        if ctx.chance(0.3) and given - paid > 0:
            given = paid
        totals.append((ctx.term("cash"), fmt.number(given), False))
        totals.append((ctx.term("change"), fmt.number(given - paid), False))
    else:
        totals.append((ctx.term("card"), fmt.number(paid), False))
        if ctx.chance(0.5):
            blocks.notes.append(f"**** **** **** {rng.randint(1000, 9999)}")
    if ctx.chance(0.1):
        totals.append((ctx.term("you_saved"), fmt.number(to_cents(paid * Decimal("0.07"))), False))

    if inclusive and not tax_lines and ctx.chance(0.8):
        header = TERMS["tax_table"][ctx.lang].format(tax=ctx.tax_name).split("|")
        blocks.tax_table.append(header)
        for rate in sorted(sums, key=Decimal):
            shown = fmt.rate(Decimal(rate))
            if code_style == "letter":
                shown = f"{codes[rate]} {shown}"
            blocks.tax_table.append(
                [shown, fmt.number(net[rate]), fmt.number(tax[rate]), fmt.number(gross[rate])]
            )
            tax_lines.append({"rate": label_number(Decimal(rate)), "base_amount": label_amount(net[rate]),
                              "tax_amount": label_amount(tax[rate])})  # fmt: skip
    blocks.notes.append(ctx.term("goodbye"))
    if ctx.country == "DE" and ctx.chance(0.3):
        blocks.footer.append(f"TSE-Signaturzähler: {rng.randint(1000, 99999)}")
        blocks.footer.append(f"Kassen-Seriennr.: {rng.randint(10**9, 10**10)}")
    return tax_lines
