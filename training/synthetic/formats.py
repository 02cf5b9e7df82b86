"""How numbers, money and dates are printed in each country, picked once per document.

The whole point of extraction is turning "1.234,56 €" or "5. März 2024" into "1234.56" and
"2024-03-05"; training data must therefore print the same value in every convention the country
uses, consistently within one document (a German invoice does not switch separators midway),
while the label stays the normalised value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from training.synthetic.terms import MONTHS

CENT = Decimal("0.01")

CURRENCIES = {"GB": "GBP", "US": "USD", "MY": "MYR", "SG": "SGD"}  # everything else: EUR

# Money notations per currency: "{v}" is the formatted number.
MONEY_PATTERNS = {
    "EUR": ("€ {v}", "{v} €", "EUR {v}", "{v} EUR", "€{v}"),
    "GBP": ("£{v}", "£{v}", "GBP {v}", "£ {v}"),
    "USD": ("${v}", "${v}", "USD {v}", "$ {v}"),
    "MYR": ("RM {v}", "RM{v}", "MYR {v}"),
    "SGD": ("S${v}", "SGD {v}", "${v}", "SGD{v}"),
}

# Date notations: strftime-like codes, "text" / "text_short" use month names.
DATE_STYLES = {
    "DE": ("%d.%m.%Y", "%d.%m.%Y", "%d.%m.%Y", "%d.%m.%y", "text", "iso"),
    "AT": ("%d.%m.%Y", "%d.%m.%Y", "text"),
    "FR": ("%d/%m/%Y", "%d/%m/%Y", "%d/%m/%Y", "text", "%d.%m.%Y"),
    "BE": ("%d/%m/%Y", "%d/%m/%Y", "%d-%m-%Y", "text"),
    "ES": ("%d/%m/%Y", "%d/%m/%Y", "%d-%m-%Y", "text", "%d/%m/%y"),
    "IT": ("%d/%m/%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "text"),
    "PT": ("%d/%m/%Y", "%d-%m-%Y", "iso", "text"),
    "NL": ("%d-%m-%Y", "%d-%m-%Y", "%d/%m/%Y", "text", "text_short"),
    "GB": ("%d/%m/%Y", "%d/%m/%Y", "text", "text_short", "%d.%m.%Y"),
    "IE": ("%d/%m/%Y", "text", "text_short"),
    "US": ("%m/%d/%Y", "%m/%d/%Y", "text", "text_short", "%m/%d/%y", "iso"),
    "MY": ("%d/%m/%Y", "%d-%m-%Y", "text_short", "%d/%m/%y"),
    "SG": ("%d/%m/%Y", "text_short", "%d-%m-%Y", "iso"),
}


@dataclass(frozen=True)
class Formats:
    """One document's printing conventions."""

    lang: str
    country: str
    currency: str
    decimal: str
    group: str
    money_pattern: str
    date_style: str
    pad_day: bool
    rate_style: str  # "{r}%", "{r} %", "{r},00 %"...

    def number(self, value: Decimal, places: int = 2) -> str:
        quant = Decimal(1).scaleb(-places)
        value = value.quantize(quant, ROUND_HALF_UP)
        sign = "-" if value < 0 else ""
        whole, _, frac = f"{abs(value):f}".partition(".")
        if self.group and len(whole) > 3:
            parts: list[str] = []
            while len(whole) > 3:
                parts.insert(0, whole[-3:])
                whole = whole[:-3]
            whole = self.group.join([whole, *parts])
        return sign + whole + (self.decimal + frac if places else "")

    def money(self, value: Decimal) -> str:
        text = self.money_pattern.format(v=self.number(abs(value)))
        return ("-" + text) if value < 0 else text

    def quantity(self, value: Decimal, fixed: bool = False) -> str:
        if fixed:
            return self.number(value, 2)
        if value == value.to_integral_value():
            return str(int(value))
        places = max(0, -value.normalize().as_tuple().exponent)  # type: ignore[operator]
        return self.number(value, places)

    def rate(self, rate: Decimal) -> str:
        if self.rate_style == "{r},00 %":
            return self.number(rate, 2) + " %"
        return self.rate_style.format(r=self.quantity(rate))

    def date(self, value: date) -> str:
        style = self.date_style
        if style == "iso":
            return value.isoformat()
        if style in ("text", "text_short"):
            return text_date(value, self.lang, self.country, short=style == "text_short")
        out = value.strftime(style)
        if not self.pad_day:
            # "5.3.2024" style: drop leading zeros of day and month
            out = value.strftime(style.replace("%d", "{d}").replace("%m", "{m}")).format(
                d=value.day, m=value.month
            )
        return out


def text_date(value: date, lang: str, country: str, *, short: bool = False) -> str:
    month = MONTHS[lang].split()[value.month - 1]
    if short:
        if lang == "fr":
            month = month if len(month) <= 4 else month[:4] + "."
        else:
            month = "mrt" if lang == "nl" and value.month == 3 else month[:3]
        if lang == "en":
            return (
                f"{value.day:02d} {month} {value.year}"
                if country != "US"
                else f"{month} {value.day}, {value.year}"
            )
        return (
            f"{value.day:02d}-{month}-{value.year}" if lang == "nl" else f"{value.day} {month} {value.year}"
        )
    if lang == "en":
        return (
            f"{month} {value.day}, {value.year}" if country == "US" else f"{value.day} {month} {value.year}"
        )
    if lang == "de":
        return f"{value.day}. {month} {value.year}"
    if lang in ("es", "pt"):
        return f"{value.day} de {month} de {value.year}"
    return f"{value.day} {month} {value.year}"


def pick_formats(rng: random.Random, lang: str, country: str, currency: str) -> Formats:
    if lang == "en" or country in ("US", "GB", "IE", "MY", "SG"):
        decimal, group = ".", rng.choice((",", ",", ",", ""))
    elif lang == "fr" or country == "PT":
        decimal, group = ",", rng.choice((" ", " ", ".", ""))
    else:
        decimal, group = ",", rng.choice((".", ".", ".", ""))
    style = rng.choice(DATE_STYLES[country])
    return Formats(
        lang=lang,
        country=country,
        currency=currency,
        decimal=decimal,
        group=group,
        money_pattern=rng.choice(MONEY_PATTERNS[currency]),
        date_style=style,
        pad_day=style in ("iso",) or "." not in style or rng.random() < 0.85,
        rate_style=rng.choice(("{r}%", "{r}%", "{r} %", "{r},00 %" if decimal == "," else "{r}%")),
    )


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def label_amount(value: Decimal) -> str:
    return f"{to_cents(value):f}"


def label_number(value: Decimal) -> str:
    """A quantity or rate as the labels carry it: no trailing zeros, no exponent ("2", "5.5")."""
    text = f"{value.normalize():f}"
    return text
