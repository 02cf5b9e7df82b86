"""Invoices, credit notes, purchase orders and delivery notes: one builder, four shapes.

They share parties, a meta block and an items table; they differ in who issues them (the buyer
issues a purchase order), whether prices are printed (not on delivery notes) and which numbers
and dates matter. Arithmetic is done in ``Decimal`` exactly like an accounting system would:
line amounts rounded to cents, tax per rate on the rate's base, total = subtotal + tax.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from training.synthetic import ids, vocab
from training.synthetic.content import (
    EU,
    Blocks,
    Column,
    Company,
    Ctx,
    Party,
    company_footer,
    contact_lines,
    label_party,
    make_company,
    person_name,
    tax_id_line,
)
from training.synthetic.formats import CENT, label_amount, label_number, to_cents
from training.synthetic.terms import TAX_RATES, TERMS, UNITS

Row = dict[str, str]
Item = dict[str, str | None]
NO_KEY = {"invoice": "no_invoice", "creditNote": "no_creditNote", "purchaseOrder": "no_purchaseOrder",
          "deliveryNote": "no_deliveryNote"}  # fmt: skip
DATE_KEY = {"invoice": "date_invoice", "creditNote": "date_invoice", "purchaseOrder": "date_purchaseOrder",
            "deliveryNote": "date_deliveryNote"}  # fmt: skip
ON_WORD = {"en": "on", "es": "s/", "fr": "sur", "de": "auf", "it": "su", "pt": "s/", "nl": "over"}


def build_invoice(ctx: Ctx) -> tuple[Blocks, list[Item], list[Item]]:
    rng, dt, fmt = ctx.rng, ctx.doc_type, ctx.fmt
    supplier = make_company(ctx, ctx.country)
    foreign = ctx.country in EU and dt != "deliveryNote" and ctx.chance(0.12)
    customer = make_company(ctx, rng.choice([c for c in EU if c != ctx.country]) if foreign else ctx.country,
                            foreign=foreign)  # fmt: skip
    if dt in ("invoice", "creditNote", "deliveryNote") and not foreign and ctx.chance(0.2):
        customer.name, customer.tax_id_printed = person_name(ctx, ctx.lang), None
    issue = date(2019, 1, 1) + timedelta(days=rng.randint(0, 7 * 365 - 1))
    title = ctx.term(f"title_{dt}")
    if title == "Tax Invoice" and ctx.country not in ("SG", "MY", "GB", "IE"):
        title = "Invoice"
    blocks = Blocks(title=title if dt == "invoice" or ctx.chance(0.97) else None, issuer=Party(None, []))
    blocks.page_label, blocks.continued = ctx.term("page"), ctx.term("continued")

    # parties: a purchase order is issued by the buyer and addressed to the vendor
    buyer_issues = dt == "purchaseOrder"
    issuer, recipient = (customer, supplier) if buyer_issues else (supplier, customer)
    blocks.issuer = Party(None, [issuer.name, *issuer.lines])
    blocks.issuer_contact = contact_lines(ctx, issuer, role="customer" if buyer_issues else "supplier")
    label_party(ctx, "supplier", supplier)
    label_party(ctx, "customer", customer)
    heading_key = "vendor" if buyer_issues else "ship_to" if dt == "deliveryNote" else "bill_to"
    heading = ctx.term(heading_key) if buyer_issues or ctx.chance(0.7) else None
    recipient_lines = [recipient.name, *recipient.lines]
    other_role = "supplier" if buyer_issues else "customer"
    if recipient.tax_id_printed and (foreign or ctx.chance(0.3)) and dt != "deliveryNote":
        recipient_lines.append(tax_id_line(ctx, recipient, other_role))
    blocks.recipient = Party(heading, recipient_lines)
    if dt in ("purchaseOrder", "invoice") and ctx.chance(0.2):
        _, _, _, lines = _other_address(ctx, customer)
        blocks.other_parties.append(Party(ctx.term("ship_to"), [customer.name, *lines]))

    # meta: number, dates and the lookalike references
    number = ids.doc_number(rng, issue.year, dt)
    meta = [(ctx.term(NO_KEY[dt]), number), (ctx.term(DATE_KEY[dt]), fmt.date(issue))]
    if dt in ("invoice", "creditNote"):
        ctx.label("invoice_number", number, number)
    elif dt == "purchaseOrder":
        ctx.label("purchase_order_number", number, number)
    ctx.label("issue_date", issue.isoformat(), fmt.date(issue))
    extra: list[tuple[str, str]] = []
    if ctx.chance(0.4):
        extra.append((ctx.term("customer_no"), ids.doc_number(rng, issue.year, "customer")))
    if dt != "purchaseOrder" and ctx.chance(0.6 if dt == "deliveryNote" else 0.3):
        po = ids.doc_number(rng, issue.year, "purchaseOrder")
        extra.append((ctx.term("your_order"), po))
        ctx.label("purchase_order_number", po, po)
    if ctx.chance(0.2):
        extra.append((ctx.term("order_ref"), ids.doc_number(rng, issue.year, "order")))
    if dt == "creditNote" and ctx.chance(0.8):
        extra.append((ctx.term("credit_for"), ids.doc_number(rng, issue.year, "invoice")))
    if ctx.chance(0.25):
        extra.append((ctx.term("delivery_date"), fmt.date(issue - timedelta(days=rng.randint(1, 20)))))
    if dt != "purchaseOrder" and ctx.chance(0.1):
        extra.append((ctx.term("order_date"), fmt.date(issue - timedelta(days=rng.randint(5, 40)))))
    if dt == "purchaseOrder" and ctx.chance(0.5):
        extra.append((ctx.term("deliver_by"), fmt.date(issue + timedelta(days=rng.randint(3, 30)))))
    rng.shuffle(extra)
    meta += extra
    notes: list[str] = []
    if dt == "invoice" or (dt != "deliveryNote" and ctx.chance(0.25)):
        _terms_and_due(ctx, issue, meta, notes)
    if len(meta) > 2 and ctx.chance(0.3):
        meta.insert(rng.randint(0, 2), meta.pop())
    blocks.meta = meta

    items, tax_lines = _table(ctx, blocks, issue, foreign and dt in ("invoice", "creditNote"))
    if foreign and dt in ("invoice", "creditNote") and ctx.fields.get("tax_amount") == "0.00":
        notes.append(ctx.term("reverse_charge"))
    if dt == "invoice" and ctx.chance(0.2):
        notes.append(ctx.term("quote_ref", no=number))
    if dt == "deliveryNote":
        notes.append(ctx.term("received") + " ______________________")
    if ctx.chance(0.4):
        notes.append(ctx.term("thanks"))
    blocks.notes = [*notes, *blocks.notes]
    blocks.footer = company_footer(
        ctx, supplier if not buyer_issues else customer, bank=not buyer_issues and dt != "deliveryNote"
    )
    return blocks, items, tax_lines


def _other_address(ctx: Ctx, company: Company) -> tuple[str, str, str, list[str]]:
    from training.synthetic.content import address

    return address(ctx, company.country, ctx.lang)


def _terms_and_due(ctx: Ctx, issue: date, meta: list[tuple[str, str]], notes: list[str]) -> None:
    rng = ctx.rng
    days = rng.choice((7, 10, 14, 14, 15, 21, 30, 30, 30, 45, 60, 90))
    if ctx.chance(0.7):
        if ctx.chance(0.12):
            days, phrase = 0, ctx.term("terms_now")
        else:
            phrase = ctx.term("terms", d=str(days))
        if ctx.chance(0.5):
            meta.append((ctx.term("terms_label"), phrase))
        else:
            notes.append(phrase if ctx.chance(0.6) else f"{ctx.term('terms_label')}: {phrase}")
        ctx.label("payment_terms", phrase, phrase)
    if ctx.chance(0.6):
        due = issue + timedelta(days=days)
        meta.append((ctx.term("due_date"), ctx.fmt.date(due)))
        ctx.label("due_date", due.isoformat(), ctx.fmt.date(due))


def _quantity(ctx: Ctx, kind: str) -> Decimal:
    r = ctx.rng.randint
    if kind == "h":
        return Decimal(r(1, 80)) / 2
    if kind == "day":
        return Decimal(r(2, 20)) / 2
    if kind == "month":
        return Decimal(ctx.rng.choice((1, 1, 1, 3, 6, 12)))
    if kind == "kg":
        return Decimal(r(500, 25000)).scaleb(-3).normalize() if ctx.chance(0.5) else Decimal(r(1, 50)) / 2
    if kind == "m":
        return Decimal(r(1, 200))
    if kind == "job":
        return Decimal(ctx.rng.choice((1, 1, 1, 2)))
    return Decimal(ctx.rng.choice((1, 1, 1, 2, 2, 3, 4, 5, 6, 10, 12, 20, 24, 25, 50, 100)))


def _price(ctx: Ctx, low: float, high: float) -> Decimal:
    value = Decimal(str(round(ctx.rng.uniform(low, high), 2)))
    ending = ctx.rng.random()
    if ending < 0.3:
        value = value.to_integral_value()
    elif ending < 0.45:
        value = value.to_integral_value() - Decimal("0.01") if value >= 2 else value
    return max(value, Decimal("0.10")).quantize(CENT)


def _table(ctx: Ctx, blocks: Blocks, issue: date, foreign: bool) -> tuple[list[Item], list[Item]]:
    rng, fmt, lang = ctx.rng, ctx.fmt, ctx.lang
    priced = ctx.doc_type != "deliveryNote"
    rates = TAX_RATES[ctx.country]
    mixed = priced and len(set(rates)) > 1 and ctx.country != "US" and ctx.chance(0.22)
    main_rate = Decimal(rates[0])
    show_qty = not priced or ctx.chance(0.9)
    show = {
        "pos": ctx.chance(0.3),
        "product_code": ctx.chance(0.35),
        "quantity": show_qty,
        "unit": show_qty and ctx.chance(0.4),
        "unit_price": priced and show_qty and ctx.chance(0.88),
        "tax_rate": priced and ctx.chance(0.6 if mixed else 0.12),
    }
    merge_unit = show["unit"] and ctx.chance(0.4)
    fixed_qty = ctx.chance(0.25)
    item_money = ctx.chance(0.12)
    count = (
        rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 10, 12, 14)) if ctx.chance(0.9) else rng.randint(18, 64)
    )
    code_style = rng.choice(("{a}-{n}", "{n}", "{a}{n}", "{n}-{m}"))
    rows: list[Row] = []
    items: list[Item] = []
    amounts: list[tuple[Decimal, Decimal]] = []  # (amount, rate)
    units: dict[str, str] = {}  # one spelling per unit within a document
    pool = (
        vocab.B2B_ITEMS
        if priced
        else [item for item in vocab.B2B_ITEMS if item[0] in ("pcs", "box", "kg", "m")]
    )
    for index in range(1, count + 1):
        kind, low, high, names = rng.choice(pool)
        desc = names[vocab.LANG_INDEX[lang]]
        if ctx.chance(0.14):
            detail = rng.choice(vocab.LONG_DETAILS[lang]).format(
                ref=ids.doc_number(rng, issue.year, "quote"),
                date=fmt.date(issue - timedelta(days=rng.randint(20, 60))),
                date2=fmt.date(issue - timedelta(days=rng.randint(0, 19))),
            )
            desc = f"{desc}, {detail}" if ctx.chance(0.5) else f"{desc} - {detail}"
        qty = _quantity(ctx, kind)
        price = _price(ctx, low, high)
        if price > 150 and kind not in ("h", "day"):
            qty = min(qty, Decimal(rng.choice((1, 1, 2, 3, 5))))
        rate = Decimal(rng.choice(rates)) if mixed else main_rate
        code = code_style.format(
            a="".join(rng.choice("ABCDEFGHKLMNPRSTWX") for _ in range(rng.randint(2, 3))),
            n=rng.randint(100, 99999),
            m=rng.randint(10, 99),
        )
        unit = units.setdefault(kind, ctx.pick_of(UNITS[kind][lang]))
        rows.append(
            _row(ctx, show, merge_unit, fixed_qty, item_money, index, code, desc, qty, unit, price, rate)
        )
        items.append(_item(show, priced, code, desc, qty, unit, price, rate))
        amounts.append((to_cents(qty * price), rate))
    if priced and ctx.chance(0.1):  # shipping charged as a line
        price, desc = _price(ctx, 4, 60), ctx.term("shipping")
        args = (len(rows) + 1, "", desc, Decimal(1), "", price, main_rate)
        rows.append(_row(ctx, show, merge_unit, fixed_qty, item_money, *args))
        items.append({**_item(show, priced, *args[1:]), "product_code": None, "unit": None})
        amounts.append((price, main_rate))
    if priced and not mixed and ctx.chance(0.08):  # discount as a negative line
        pct = rng.choice((2, 3, 5, 10, 15))
        value = -to_cents(sum((a for a, _ in amounts), Decimal(0)) * pct / 100)
        desc = ctx.term("discount", p=str(pct))
        money = fmt.money(value) if item_money else fmt.number(value)
        rows.append({"pos": str(len(rows) + 1), "description": desc, "amount": money})
        items.append({**dict.fromkeys(("product_code", "quantity", "unit", "unit_price")), "description": desc,
                      "tax_rate": None, "amount": label_amount(value)})  # fmt: skip
        amounts.append((value, main_rate))
    blocks.columns = _columns(ctx, show, merge_unit, priced)
    blocks.rows = rows
    if not priced:
        if ctx.chance(0.4) and all(
            r["quantity"].replace(" ", "").isalnum() for r in rows if r.get("quantity")
        ):
            total_qty = sum((Decimal(i["quantity"] or 0) for i in items), Decimal(0))
            blocks.totals.append((ctx.term("total_qty"), fmt.quantity(total_qty), False))
        return items, []
    return items, _totals(ctx, blocks, amounts, foreign)


def _row(ctx: Ctx, show: dict[str, bool], merge_unit: bool, fixed_qty: bool, item_money: bool, index: int,
         code: str, desc: str, qty: Decimal, unit: str, price: Decimal, rate: Decimal) -> Row:  # fmt: skip
    fmt = ctx.fmt
    amount = to_cents(qty * price)
    row = {"pos": str(index), "product_code": code, "description": desc, "unit": unit}
    row["quantity"] = fmt.quantity(qty, fixed_qty) + (f" {unit}" if merge_unit and unit else "")
    row["unit_price"] = fmt.money(price) if item_money else fmt.number(price)
    row["tax_rate"] = fmt.rate(rate)
    row["amount"] = fmt.money(amount) if item_money else fmt.number(amount)
    return {key: value for key, value in row.items() if show.get(key, True)}


def _item(show: dict[str, bool], priced: bool, code: str, desc: str, qty: Decimal, unit: str, price: Decimal,
          rate: Decimal) -> Item:  # fmt: skip
    return {
        "description": desc,
        "product_code": code if show["product_code"] else None,
        "quantity": label_number(qty) if show["quantity"] else None,
        "unit": unit if show["unit"] else None,
        "unit_price": label_amount(price) if show["unit_price"] else None,
        "tax_rate": label_number(rate) if show["tax_rate"] else None,
        "amount": label_amount(to_cents(qty * price)) if priced else None,
    }


def _columns(ctx: Ctx, show: dict[str, bool], merge_unit: bool, priced: bool) -> list[Column]:
    cols = [Column("pos", ctx.term("col_pos"), "left")] if show["pos"] else []
    if show["product_code"]:
        cols.append(Column("product_code", ctx.term("col_product_code")))
    cols.append(Column("description", ctx.term("col_description")))
    if show["quantity"]:
        cols.append(Column("quantity", ctx.term("col_quantity"), "right"))
    if show["unit"] and not merge_unit:
        cols.append(Column("unit", ctx.term("col_unit"), "left"))
    if show["unit_price"]:
        cols.append(Column("unit_price", ctx.term("col_unit_price"), "right"))
    if show["tax_rate"]:
        cols.append(Column("tax_rate", ctx.term("tax_total").replace("Total ", "") + " %", "right"))
    if priced:
        header = ctx.term("col_amount")
        if ctx.chance(0.15):
            header += f" ({ctx.currency})"
            ctx.label("currency", ctx.currency, ctx.currency)
        cols.append(Column("amount", header, "right"))
    return cols


def _totals(ctx: Ctx, blocks: Blocks, amounts: list[tuple[Decimal, Decimal]], foreign: bool) -> list[Item]:
    rng, fmt = ctx.rng, ctx.fmt
    bases: dict[Decimal, Decimal] = {}
    reverse = foreign and ctx.chance(0.5)
    no_tax = reverse or (ctx.country == "US" and ctx.chance(0.15))
    for amount, rate in amounts:
        key = Decimal(0) if reverse else rate
        bases[key] = bases.get(key, Decimal(0)) + amount
    taxes = {rate: to_cents(base * rate / 100) for rate, base in bases.items()}
    subtotal = sum(bases.values(), Decimal(0))
    tax = sum(taxes.values(), Decimal(0))
    total = subtotal + tax
    money_on = ctx.chance(0.55)

    def val(value: Decimal) -> str:
        return fmt.money(value) if money_on else fmt.number(value)

    currency_printed = money_on
    if money_on:
        ctx.label("currency", ctx.currency, fmt.money_pattern.replace("{v}", "").strip())
    totals = blocks.totals
    tax_lines: list[Item] = []
    if ctx.chance(0.9) or len(bases) > 1:
        totals.append((ctx.term("subtotal"), val(subtotal), False))
        ctx.label("subtotal_amount", label_amount(subtotal), val(subtotal))
    style = rng.choice(("line", "line", "base", "table")) if not (no_tax and ctx.country == "US") else "none"
    for rate in sorted(bases):
        base, amount = bases[rate], taxes[rate]
        line: Item = {"rate": label_number(rate), "base_amount": None, "tax_amount": label_amount(amount)}
        name = ctx.term("tax_rate", rate=fmt.rate(rate))
        if style == "line":
            totals.append((name, val(amount), False))
        elif style == "base":
            totals.append((f"{name} {ON_WORD[ctx.lang]} {fmt.number(base)}", val(amount), False))
            line["base_amount"] = label_amount(base)
        elif style == "table":
            if not blocks.tax_table:
                blocks.tax_table.append(TERMS["tax_table"][ctx.lang].format(tax=ctx.tax_name).split("|"))
            blocks.tax_table.append(
                [fmt.rate(rate), fmt.number(base), fmt.number(amount), fmt.number(base + amount)]
            )
            line["base_amount"] = label_amount(base)
        if style != "none":
            tax_lines.append(line)
    if style != "none":
        if len(bases) == 1 and style != "table":
            ctx.label("tax_amount", label_amount(tax), val(tax))
        elif ctx.chance(0.7):
            totals.append((ctx.term("tax_total"), val(tax), False))
            ctx.label("tax_amount", label_amount(tax), val(tax))
    total_label = ctx.term("total")
    if not currency_printed and ctx.chance(0.5):
        total_label, currency_printed = f"{total_label} {ctx.currency}", True
        ctx.label("currency", ctx.currency, ctx.currency)
    totals.append((total_label, val(total), True))
    ctx.label("total_amount", label_amount(total), val(total))
    if ctx.doc_type == "invoice" and ctx.chance(0.07):
        deposit = to_cents(total * Decimal(rng.choice(("0.2", "0.3", "0.5"))))
        totals.append((ctx.term("deposit"), val(-deposit), False))
        totals.append((ctx.term("amount_due"), val(total - deposit), True))
        ctx.label("amount_due", label_amount(total - deposit), val(total - deposit))
        ctx.extras["deposit"] = label_amount(deposit)
    elif ctx.doc_type == "invoice" and ctx.chance(0.25):
        totals.append((ctx.term("amount_due"), val(total), True))
        ctx.label("amount_due", label_amount(total), val(total))
    if ctx.chance(0.04):
        previous = _price(ctx, 50, 3000)
        blocks.meta += [
            (ctx.term("prev_balance"), fmt.number(previous)),
            (ctx.term("payments"), fmt.number(-previous)),
        ]
    if not currency_printed and "currency" not in ctx.fields:
        blocks.notes.append(ctx.term("amounts_in", cur=ctx.currency))
        ctx.label("currency", ctx.currency, ctx.currency)
    return tax_lines
