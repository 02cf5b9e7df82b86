"""What a synthetic document says, and the labels that go with it.

Content and labels are produced together, value by value: a field is labelled only at the
moment its printed form is put into a block, so a label can never refer to something that is not
on the page, and the printed text is always the formatted version of the labelled value. The
``blocks`` describe the document without deciding where anything goes; ``render`` arranges them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from training.synthetic import ids, vocab
from training.synthetic.formats import CURRENCIES, Formats, pick_formats
from training.synthetic.terms import TAX_ID_LABELS, TAX_NAMES, TERMS

DOC_TYPES = ("invoice", "receipt", "creditNote", "purchaseOrder", "deliveryNote", "bankStatement")
DOC_WEIGHTS = (40, 22, 9, 10, 9, 10)
LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl")
COUNTRIES = {"en": ("GB", "US", "IE", "MY", "SG"), "es": ("ES",), "fr": ("FR", "BE"), "de": ("DE", "AT"),
             "it": ("IT",), "pt": ("PT",), "nl": ("NL", "BE")}  # fmt: skip
EU = ("DE", "AT", "ES", "FR", "BE", "IT", "PT", "NL", "IE")


@dataclass
class Party:
    heading: str | None
    lines: list[str]  # first line is the name


@dataclass
class Column:
    key: str  # description, product_code, quantity, unit, unit_price, tax_rate, amount, pos, date, ...
    header: str
    align: str = "left"  # "left" | "right" | "center"


@dataclass
class Blocks:
    """Everything printed, grouped by role; values are final printed strings."""

    title: str | None
    issuer: Party
    issuer_contact: list[str] = field(default_factory=list)
    recipient: Party | None = None
    other_parties: list[Party] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    totals: list[tuple[str, str, bool]] = field(default_factory=list)  # label, value, emphasised
    tax_table: list[list[str]] = field(default_factory=list)  # header row first
    notes: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    page_label: str = "{p}/{n}"
    continued: str = "..."


@dataclass
class SyntheticDocument:
    seed: int
    doc_type: str
    language: str
    country: str
    currency: str
    fields: dict[str, str]
    line_items: list[dict[str, str | None]]
    tax_lines: list[dict[str, str | None]]
    blocks: Blocks
    printed: dict[str, str] = field(default_factory=dict)  # field name -> text exactly as printed
    extras: dict[str, str] = field(default_factory=dict)  # e.g. rounding, deposit (for consistency checks)

    def label(self, file: str) -> dict[str, Any]:
        """The labels.jsonl record for this document stored at ``file``."""
        return {
            "file": file,
            "source": "synthetic",
            "doc_type": self.doc_type,
            "language": self.language,
            "fields": dict(self.fields),
            "line_items": [dict(item) for item in self.line_items],
            "tax_lines": [dict(line) for line in self.tax_lines],
        }


@dataclass
class Company:
    name: str
    country: str
    street: str
    postcode: str
    city: str
    lines: list[str]  # printed address lines, without the name
    tax_id: str | None = None
    tax_id_printed: str | None = None
    stem: str = ""


def seeded(*parts: object) -> random.Random:
    """A reproducible RNG for one purpose of one document (string seeds hash the same in every run)."""
    return random.Random(":".join(str(part) for part in parts))  # noqa: S311 - data generation, not security


class _Keep(dict[str, str]):
    """Leaves placeholders the caller does not fill (``{p}`` of a page label) for later."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Ctx:
    """Per-document state: the seeded RNG, the printing conventions, and the labels so far."""

    def __init__(self, seed: int, doc_type: str, lang: str, country: str) -> None:
        self.seed = seed
        self.rng = seeded("content", seed, doc_type, lang, country)
        self.doc_type, self.lang, self.country = doc_type, lang, country
        self.currency = CURRENCIES.get(country, "EUR")
        self.fmt: Formats = pick_formats(self.rng, lang, country, self.currency)
        self.tax_name = (
            ("TVA" if lang == "fr" else "BTW") if country == "BE" else self.pick_of(TAX_NAMES[country])
        )
        self.fields: dict[str, str] = {}
        self.printed: dict[str, str] = {}
        self.extras: dict[str, str] = {}

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick_of(self, variants: str) -> str:
        return self.rng.choice(variants.split("|"))

    def term(self, key: str, **values: str) -> str:
        text = self.pick_of(TERMS[key][self.lang])
        values.setdefault("tax", self.tax_name)
        return text.format_map(_Keep(values)) if "{" in text else text

    def label(self, name: str, value: str, printed: str) -> None:
        self.fields[name] = value
        self.printed[name] = printed

    def date_between(self, start: date, days: int) -> date:
        return start + timedelta(days=self.rng.randint(0, days))


def company_name(ctx: Ctx, country: str, lang: str) -> tuple[str, str]:
    rng = ctx.rng
    stem = rng.choice(vocab.STEM_HEADS) + rng.choice(vocab.STEM_TAILS)
    legal = rng.choice(vocab.LEGAL_FORMS[country])
    style = rng.random()
    if style < 0.45:
        core = f"{stem} {rng.choice(vocab.INDUSTRY[lang])}"
        if lang in ("es", "fr", "it", "pt") and rng.random() < 0.6:
            core = f"{rng.choice(vocab.INDUSTRY[lang])} {stem}"
    elif style < 0.65:
        core = f"{rng.choice(vocab.LAST_NAMES[lang])} & {rng.choice(vocab.LAST_NAMES[lang])}"
    elif style < 0.8:
        core = f"{stem}{rng.choice(('tec', 'net', 'soft', 'pro', 'lab', 'line'))}"
    else:
        core = stem
    return f"{core} {legal}", stem


def person_name(ctx: Ctx, lang: str) -> str:
    return f"{ctx.rng.choice(vocab.FIRST_NAMES[lang])} {ctx.rng.choice(vocab.LAST_NAMES[lang])}"


def address(
    ctx: Ctx, country: str, lang: str, *, country_line: bool = False
) -> tuple[str, str, str, list[str]]:
    """(street, postcode, city, printed lines) in the conventions of ``country``."""
    rng = ctx.rng
    style = vocab.STREET_STYLE.get(country, "nl" if lang == "nl" else "fr")
    pattern, names, kinds = vocab.STREETS[style]
    number = str(rng.randint(1, 250)) + (rng.choice(("a", "b", "A", "-2")) if rng.random() < 0.08 else "")
    street = pattern.format(s=rng.choice(names), x=rng.choice(kinds), n=number)
    if style in ("nl", "de"):
        street = street[0].upper() + street[1:]
    cities = vocab.BE_NL_CITIES if country == "BE" and lang == "nl" else vocab.CITIES[country]
    city = rng.choice(cities)
    state = ""
    if country == "US":
        city, state = city.split(", ")
    code = ids.postcode(rng, country, state)
    if country in ("SG",) and rng.random() < 0.5:
        street += f" #{rng.randint(1, 30):02d}-{rng.randint(1, 99):02d}"
    if country in ("FR",) and rng.random() < 0.3:
        city = city.upper()
    lines = [street]
    if country in ("GB", "IE") and rng.random() < 0.7:
        lines += [city, code]
    elif country == "US":
        lines.append(f"{city}, {state} {code}")
    elif country == "SG" or country == "GB":
        lines.append(f"{city} {code}")
    else:
        lines.append(f"{code} {city}")
    if rng.random() < 0.12:
        extra = rng.choice(("Unit {n}, Business Park", "Building {n}", "2nd Floor", "Suite {n}"))
        if lang != "en":
            extra = {"de": "Gewerbepark {n}", "es": "Nave {n}", "fr": "Bâtiment {n}", "it": "Scala {n}",
                     "pt": "Armazém {n}", "nl": "Unit {n}"}[lang]  # fmt: skip
        lines.insert(0, extra.format(n=rng.randint(1, 12)))
    if country_line:
        lines.append(vocab.COUNTRY_NAMES[country][vocab.LANG_INDEX[lang]])
    return street, code, city, lines


def make_company(ctx: Ctx, country: str, *, shop: bool = False, foreign: bool = False) -> Company:
    lang = ctx.lang
    if shop:
        stem = ctx.rng.choice(vocab.STEM_HEADS) + ctx.rng.choice(vocab.STEM_TAILS)
        kind = ctx.rng.choice(vocab.SHOP_TYPES[lang])
        name = f"{kind} {stem}" if ctx.chance(0.6) else f"{stem} {kind}"
        if ctx.chance(0.3):
            name += " " + ctx.rng.choice(vocab.LEGAL_FORMS[country])
    else:
        name, stem = company_name(ctx, country, lang)
    if ctx.chance(0.15):
        name = name.upper()
    street, code, city, lines = address(ctx, country, lang, country_line=foreign or ctx.chance(0.15))
    tax = ids.tax_id(ctx.rng, country)
    printed = ids.print_tax_id(ctx.rng, country, tax) if tax else None
    return Company(name, country, street, code, city, lines, tax, printed, stem.lower())


def tax_id_label(ctx: Ctx, country: str) -> str:
    if country == "BE" and ctx.lang == "nl":
        return ctx.pick_of("BTW-nr.|BTW")
    if country in ("MY",):
        return "SST No."
    return ctx.pick_of(TAX_ID_LABELS[country])


def label_party(ctx: Ctx, role: str, company: Company, *, address: bool = True) -> None:
    """Label name and address parts of a printed party block (``role``: supplier or customer)."""
    ctx.label(f"{role}_name", company.name, company.name)
    if not address:
        return
    ctx.label(f"{role}_address", ", ".join(company.lines), "\n".join(company.lines))
    if role == "supplier":
        ctx.label("supplier_street", company.street, company.street)
        ctx.label("supplier_postcode", company.postcode, company.postcode)
        ctx.label("supplier_city", company.city, company.city)
        country_name = vocab.COUNTRY_NAMES[company.country][vocab.LANG_INDEX[ctx.lang]]
        if company.lines[-1] == country_name:
            ctx.label("supplier_country", company.country, country_name)


def contact_lines(ctx: Ctx, company: Company, *, role: str = "supplier", tax_id: bool = True) -> list[str]:
    """Phone, e-mail, web and tax id lines of a party; those of the supplier are labelled."""
    out: list[str] = []
    sep = ctx.rng.choice((": ", " ", ": "))
    if ctx.chance(0.75):
        printed, e164 = ids.phone(ctx.rng, company.country)
        out.append(f"{ctx.term('phone')}{sep}{printed}")
        if role == "supplier":
            ctx.label("supplier_phone", e164, printed)
    domain = (company.stem or "mail") + vocab.TLDS[company.country]
    if ctx.chance(0.65):
        email = f"{ctx.rng.choice(vocab.EMAIL_USERS)}@{domain}"
        out.append(f"{ctx.term('email')}{sep}{email}" if ctx.chance(0.7) else email)
        if role == "supplier":
            ctx.label("supplier_email", email, email)
    if ctx.chance(0.35):
        out.append(f"www.{domain}")
    if tax_id and company.tax_id_printed and ctx.chance(0.8):
        out.append(tax_id_line(ctx, company, role, sep))
    return out


def tax_id_line(ctx: Ctx, company: Company, role: str, sep: str = ": ") -> str:
    assert company.tax_id_printed is not None
    ctx.label(f"{role}_tax_id", ids.compact_id(company.tax_id_printed), company.tax_id_printed)
    return f"{tax_id_label(ctx, company.country)}{sep}{company.tax_id_printed}"


def company_footer(ctx: Ctx, company: Company, *, bank: bool) -> list[str]:
    """Bank details (the IBAN is labelled as the supplier's) and registry lines for the footer."""
    rng, country = ctx.rng, company.country
    out: list[str] = []
    if bank and ctx.chance(0.75):
        number = ids.iban(rng, country)
        bank_name = f"{rng.choice(vocab.STEM_HEADS)}{rng.choice(vocab.STEM_TAILS)} Bank"
        if ctx.chance(0.5):
            out.append(f"{ctx.term('bank')}: {bank_name}")
        if number:
            printed = ids.print_iban(rng, number)
            out.append(f"IBAN: {printed}" if ctx.chance(0.8) else f"IBAN {printed}")
            ctx.label("supplier_iban", number, printed)
            if ctx.chance(0.7):
                out.append(f"{ctx.pick_of('BIC|SWIFT|BIC/SWIFT')}: {ids.bic(rng, country)}")
        elif country == "US":
            out.append(
                f"Routing No. {rng.randint(10000000, 99999999)}{rng.randint(0, 9)}  Account {rng.randint(10**9, 10**10)}"
            )
        else:
            out.append(
                f"Account No. {rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"
            )
    if ctx.chance(0.55):
        n = rng.randint
        registry = {
            "DE": f"Amtsgericht {rng.choice(vocab.CITIES['DE'])} HRB {n(1000, 99999)}",
            "AT": f"FN {n(10000, 599999)}{rng.choice('abdfghikmpstvwxyz')}",
            "ES": f"Registro Mercantil de {company.city}, Tomo {n(100, 9999)}, Folio {n(1, 200)}",
            "FR": f"SIRET {n(100, 999)} {n(100, 999)} {n(100, 999)} {n(10000, 99999):05d} - RCS {company.city}",
            "BE": f"RPM {company.city}",
            "IT": f"REA {rng.choice(('MI', 'RM', 'TO', 'BO', 'NA'))}-{n(100000, 999999)} - Cap. Soc. {n(10, 500)}.000,00 i.v.",
            "PT": f"Capital social {n(5, 500)}.000,00 EUR - CRC {company.city}",
            "NL": f"KvK {n(10000000, 99999999)}",
            "GB": f"Registered in England and Wales No. {n(1000000, 13999999):08d}",
            "IE": f"CRO No. {n(100000, 799999)}",
            "MY": f"Co. Reg. No. {n(2000, 2023)}01{n(100000, 999999)} ({n(100000, 1599999)}-{rng.choice('ADHKMPTUVWX')})",
            "SG": f"Co. Reg. No. {company.tax_id or n(10**8, 10**9)}",
            "US": "",
        }[country]
        if registry:
            out.append(registry)
    if ctx.chance(0.25):
        managing = {"de": "Geschäftsführer", "nl": "Directeur", "en": "Director", "fr": "Gérant", "es": "Administrador",
                    "it": "Amministratore", "pt": "Gerente"}[ctx.lang]  # fmt: skip
        out.append(f"{managing}: {person_name(ctx, ctx.lang)}")
    return out


def pick_country(rng: random.Random, lang: str) -> str:
    options = COUNTRIES[lang]
    if lang == "en":
        return rng.choices(options, weights=(35, 30, 12, 12, 11))[0]
    return rng.choice(options)


def generate(seed: int, *, doc_type: str | None = None, language: str | None = None) -> SyntheticDocument:
    """The document for ``seed``; the same arguments always give the same document."""
    chooser = seeded("choose", seed)
    doc_type = doc_type or chooser.choices(DOC_TYPES, weights=DOC_WEIGHTS)[0]
    language = language or chooser.choice(LANGUAGES)
    if doc_type not in DOC_TYPES or language not in LANGUAGES:
        raise ValueError(f"unknown doc_type/language: {doc_type}/{language}")
    country = pick_country(chooser, language)
    ctx = Ctx(seed, doc_type, language, country)
    if doc_type == "receipt":
        from training.synthetic.receipt import build_receipt as build
    elif doc_type == "bankStatement":
        from training.synthetic.statement import build_statement as build
    else:
        from training.synthetic.invoice import build_invoice as build
    blocks, items, tax_lines = build(ctx)
    return SyntheticDocument(
        seed=seed,
        doc_type=doc_type,
        language=language,
        country=country,
        currency=ctx.currency,
        fields=ctx.fields,
        line_items=items,
        tax_lines=tax_lines,
        blocks=blocks,
        printed=ctx.printed,
        extras=ctx.extras,
    )
