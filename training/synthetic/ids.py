"""Identifiers that have to look and validate like real ones: VAT numbers, IBANs, postcodes, phones.

Extraction validates tax ids and IBANs by check digit, so training data with random digits would
teach the model that invalid numbers are normal (and the validators would reject every label).
Each id is drawn at random and its check digits found by trying candidates against python-stdnum,
which is cheap (a few hundred validations at most) and keeps the rules in one trusted place.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable

from stdnum import iban as stdnum_iban
from stdnum import vatin
from stdnum.sg import uen
from stdnum.us import ein

PHONE_CC = {"DE": "49", "AT": "43", "ES": "34", "FR": "33", "BE": "32", "IT": "39", "PT": "351", "NL": "31",
            "GB": "44", "US": "1", "IE": "353", "MY": "60", "SG": "65"}  # fmt: skip
# BBAN shape per IBAN country: "n" digit, "a" upper-case letter, "c" letter or digit.
BBAN = {"DE": "n" * 18, "AT": "n" * 16, "ES": "n" * 20, "FR": "n" * 10 + "c" * 11 + "nn", "BE": "n" * 12,
        "IT": "a" + "n" * 10 + "c" * 12, "PT": "n" * 21, "NL": "aaaa" + "n" * 10, "GB": "aaaa" + "n" * 14,
        "IE": "aaaa" + "n" * 14}  # fmt: skip
GB_AREAS = (
    "SW",
    "SE",
    "EC",
    "W",
    "N",
    "E",
    "M",
    "B",
    "LS",
    "G",
    "BS",
    "EH",
    "L",
    "S",
    "CF",
    "LE",
    "NG",
    "RG",
)


def _chars(rng: random.Random, shape: str) -> str:
    pools = {"n": string.digits, "a": string.ascii_uppercase, "c": string.ascii_uppercase + string.digits}
    return "".join(rng.choice(pools[ch]) for ch in shape)


def _digits(rng: random.Random, count: int, first_nonzero: bool = True) -> str:
    head = str(rng.randint(1, 9)) if first_nonzero else str(rng.randint(0, 9))
    return head + "".join(rng.choice(string.digits) for _ in range(count - 1))


def _search(
    rng: random.Random,
    make_base: Callable[[random.Random], str],
    suffixes: list[str],
    valid: Callable[[str], bool],
) -> str:
    """Draw bases until one of ``suffixes`` (check digits) completes a number ``valid`` accepts."""
    for _ in range(200):
        base = make_base(rng)
        for suffix in suffixes:
            candidate = base.format(s=suffix)
            if valid(candidate):
                return str(candidate)
    raise RuntimeError("no valid identifier found")  # pragma: no cover - statistically impossible


D1 = [str(d) for d in range(10)]
D2 = [f"{d:02d}" for d in range(100)]
LETTERS = list(string.ascii_uppercase)


def tax_id(rng: random.Random, country: str) -> str | None:
    """A valid compact tax id for ``country`` (VAT number with prefix in Europe), None for MY."""
    v = vatin.is_valid
    match country:
        case "DE":
            return _search(rng, lambda r: "DE" + _digits(r, 8) + "{s}", D1, v)
        case "AT":
            return _search(rng, lambda r: "ATU" + _digits(r, 7) + "{s}", D1, v)
        case "ES":
            return _search(rng, lambda r: "ES" + r.choice("AB") + _digits(r, 7, False) + "{s}", D1, v)
        case "FR":
            return _search(rng, lambda r: "FR{s}" + _luhn_siren(r), D2, v)
        case "BE":
            return _search(rng, lambda r: "BE0" + _digits(r, 7) + "{s}", D2, v)
        case "IT":
            return _search(rng, lambda r: f"IT0{_digits(r, 6)}{r.randint(1, 99):03d}" + "{s}", D1, v)
        case "PT":
            return _search(rng, lambda r: "PT5" + _digits(r, 7, False) + "{s}", D1, v)
        case "NL":
            return _search(rng, lambda r: "NL" + _digits(r, 8) + "{s}B0" + str(r.randint(1, 9)), D1, v)
        case "GB":
            return _search(rng, lambda r: "GB" + _digits(r, 7) + "{s}", D2, v)
        case "IE":
            return _search(rng, lambda r: "IE" + _digits(r, 7) + "{s}", LETTERS[:23], v)
        case "US":
            return _search(rng, lambda r: "{s}" + _digits(r, 7, False), D2, ein.is_valid)
        case "SG":
            return _search(
                rng, lambda r: f"{r.randint(1995, 2023)}{_digits(r, 5, False)}" + "{s}", LETTERS, uen.is_valid
            )
    return None


def _luhn_siren(rng: random.Random) -> str:
    base = _digits(rng, 8)
    for d in D1:
        digits = [int(c) for c in base + d]
        total = sum(x if i % 2 == 0 else (x * 2 - 9 if x > 4 else x * 2) for i, x in enumerate(digits))
        if total % 10 == 0:
            return base + d
    return base + "0"  # pragma: no cover - one digit always fits


def valid_tax_id(country: str, value: str) -> bool:
    if country == "US":
        return bool(ein.is_valid(value))
    if country == "SG":
        return bool(uen.is_valid(value))
    return bool(vatin.is_valid(value))


def print_tax_id(rng: random.Random, country: str, compact: str) -> str:
    """A printed variant of a compact id; compacting it (spaces, dots, dashes out) gives it back."""
    style = rng.random()
    if country == "US":
        return compact[:2] + "-" + compact[2:]
    if style < 0.55 or country in ("AT", "IT", "IE", "ES", "SG"):
        return compact
    match country:
        case "DE" | "PT":
            return f"{compact[:2]} {compact[2:5]} {compact[5:8]} {compact[8:]}"
        case "GB":
            return f"{compact[:2]} {compact[2:5]} {compact[5:9]} {compact[9:]}"
        case "FR":
            return f"{compact[:2]} {compact[2:4]} {compact[4:7]} {compact[7:10]} {compact[10:]}"
        case "BE":
            return f"{compact[:2]} {compact[2:6]}.{compact[6:9]}.{compact[9:]}"
        case "NL":
            return f"{compact[:2]}{compact[2:6]}.{compact[6:8]}.{compact[8:11]}.{compact[11:]}"
    return compact


def compact_id(printed: str) -> str:
    return re.sub(r"[\s.\-]", "", printed).upper()


def iban(rng: random.Random, country: str) -> str | None:
    shape = BBAN.get(country)
    if shape is None:
        return None
    for _ in range(50):
        bban = _chars(rng, shape)
        if country == "BE":  # national check: first ten digits mod 97
            bban = bban[:10] + f"{int(bban[:10]) % 97 or 97:02d}"
        if country == "ES":  # two national check digits in the middle of the BBAN
            bban = bban[:8] + _es_check("00" + bban[:8]) + _es_check(bban[10:]) + bban[10:]
        candidate = country + stdnum_iban.calc_check_digits(country + "00" + bban) + bban
        if stdnum_iban.is_valid(candidate):
            return candidate
    raise RuntimeError("no valid IBAN found")  # pragma: no cover


def _es_check(digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, (1, 2, 4, 8, 5, 10, 9, 7, 3, 6), strict=True))
    check = 11 - total % 11
    return str({11: 0, 10: 1}.get(check, check))


def print_iban(rng: random.Random, compact: str) -> str:
    if rng.random() < 0.75:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def bic(rng: random.Random, country: str) -> str:
    return _chars(rng, "aaaa") + country + _chars(rng, "cc") + ("" if rng.random() < 0.6 else "XXX")


def postcode(rng: random.Random, country: str, state: str = "") -> str:
    r = rng.randint
    match country:
        case "DE":
            return f"{r(1067, 99998):05d}"
        case "AT" | "BE":
            return f"{r(1010, 9992)}"
        case "ES":
            return f"{r(1, 52):02d}{r(0, 999):03d}"
        case "FR":
            return f"{r(1, 95):02d}{r(0, 99) * 10:03d}"
        case "IT":
            return f"{r(10, 98168):05d}"
        case "PT":
            return f"{r(1000, 9999)}-{r(0, 999):03d}"
        case "NL":
            return f"{r(1000, 9999)} {rng.choice('ABCDEGHJKLMNPRTVWXZ')}{rng.choice('ABCDEGHJKLMNPRTVWXZ')}"
        case "GB":
            inward = f"{r(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
            return f"{rng.choice(GB_AREAS)}{r(1, 20)} {inward}"
        case "US":
            from training.synthetic.vocab import US_STATES_ZIP

            return f"{US_STATES_ZIP.get(state, '10')}{r(0, 999):03d}"
        case "IE":
            key = rng.choice(("D", "T", "H", "V", "X", "A", "K")) + f"{r(1, 24):02d}"
            return f"{key} {_chars(rng, 'a')}{_chars(rng, 'nn')}{_chars(rng, 'c')}"
        case "MY":
            return f"{r(10000, 98859)}"
        case "SG":
            return f"{r(10000, 829999):06d}"
    return f"{r(10000, 99999)}"


def phone(rng: random.Random, country: str) -> tuple[str, str]:
    """(printed, E.164 label) for a plausible business line in ``country``."""
    cc = PHONE_CC[country]
    r = rng.randint
    groups: list[str]
    trunk = "0"
    match country:
        case "DE":
            groups = [rng.choice(("30", "89", "221", "40", "69", "711", "211", "341")), _digits(rng, r(6, 8))]
        case "AT":
            groups = [rng.choice(("1", "316", "512", "662", "732")), _digits(rng, r(6, 7))]
        case "FR":
            groups = [str(r(1, 5))] + [f"{r(0, 99):02d}" for _ in range(4)]
        case "BE":
            groups = [rng.choice(("2", "3", "9", "4")), f"{r(100, 999)}", f"{r(10, 99)}", f"{r(10, 99)}"]
        case "NL":
            groups = [rng.choice(("20", "10", "30", "40", "50")), f"{r(100, 999)}", f"{r(1000, 9999)}"]
        case "ES":
            groups, trunk = [f"9{r(10, 99)}", f"{r(100, 999)}", f"{r(100, 999)}"], ""
        case "IT":
            groups, trunk = [rng.choice(("02", "06", "011", "051", "055")), _digits(rng, r(6, 7))], ""
        case "PT":
            groups, trunk = [f"2{r(10, 59)}", f"{r(100, 999)}", f"{r(100, 999)}"], ""
        case "GB":
            groups = [rng.choice(("20", "161", "121", "113", "117")), f"{r(1000, 9999)}", f"{r(1000, 9999)}"]
        case "IE":
            groups = [rng.choice(("1", "21", "91", "61")), f"{r(100, 999)}", f"{r(1000, 9999)}"]
        case "US":
            groups, trunk = [f"{r(201, 989)}", "555", f"01{r(0, 99):02d}"], ""
        case "MY":
            groups = [rng.choice(("3", "4", "7", "82")), f"{r(1000, 9999)}", f"{r(1000, 9999)}"]
        case _:  # SG
            groups, trunk = [f"6{r(100, 999)}", f"{r(1000, 9999)}"], ""
    label = "+" + cc + "".join(groups)
    style = rng.random()
    if country == "US":
        printed = (f"({groups[0]}) {groups[1]}-{groups[2]}" if style < 0.5
                   else f"{groups[0]}-{groups[1]}-{groups[2]}" if style < 0.8
                   else f"+1 {groups[0]} {groups[1]} {groups[2]}")  # fmt: skip
    elif style < 0.4:
        printed = f"+{cc} " + " ".join(groups)
    elif style < 0.5 and trunk:
        printed = f"+{cc} (0){groups[0]} " + "".join(groups[1:])
    elif style < 0.65 and country in ("DE", "AT", "MY"):
        printed = f"{trunk}{groups[0]}" + ("-" if country == "MY" else " / ") + "".join(groups[1:])
    else:
        printed = trunk + " ".join(groups)
    return printed, label


def doc_number(rng: random.Random, year: int, kind: str = "invoice") -> str:
    r = rng.randint
    prefix = {"invoice": ("INV", "RE", "F", "FA", "FV", "R", "A"), "creditNote": ("CN", "GS", "AV", "NC", "CR"),
              "purchaseOrder": ("PO", "BE", "OC", "PED", "ORD"), "deliveryNote": ("DN", "LS", "BL", "ALB", "DDT"),
              "receipt": ("",), "customer": ("C", "KD", "CL", "K", "D"), "order": ("SO", "AB", "CMD", "OV", "JOB"),
              "quote": ("Q", "ANG", "DEV", "PRE", "OFF")}[kind]  # fmt: skip
    p = rng.choice(prefix)
    style = r(0, 6)
    if kind == "receipt":
        return rng.choice((f"{r(1, 9999):04d}", f"{r(1, 99):02d}-{r(1, 9999):04d}", f"{r(100000, 999999)}",
                           f"{r(1, 9)}/{r(1000, 9999)}"))  # fmt: skip
    if style == 0:
        return f"{p}-{year}-{r(1, 9999):04d}"
    if style == 1:
        return f"{year}/{r(1, 999):03d}"
    if style == 2:
        return f"{p}{year}{r(1, 99999):05d}"
    if style == 3:
        return f"{r(10000, 999999)}"
    if style == 4:
        return f"{p}-{r(100, 99999)}"
    if style == 5:
        return f"{p}/{year}/{r(1, 12):02d}/{r(1, 999):03d}"
    return f"{year}-{r(1, 9999):04d}"
