"""Turning printed values into canonical ones: amounts, dates and times (``identifiers`` does
currencies, languages, countries and ids).

Invoices print the same amount as "1.234,56", "1 234,56", "1'234.56" or "RM1,234.56", and the
same date as "05/03/2024", "5. März 2024" or "Mar 5, 2024". Every extractor needs the same
answers, so the parsing lives here, as pure functions over strings with no layout knowledge.

Design choices:

* Amounts are ``Decimal`` (never float) and are not rounded: a unit price of "0.125" is kept.
* A lone separator followed by exactly three digits ("1.234") is the one truly ambiguous case;
  the document-wide ``decimal_hint`` (from :func:`guess_decimal_separator`) settles it, and
  without one "." is read as a decimal point and "," as a thousands separator (the English and
  continental habits for each character).
* ``find_amounts`` is deliberately conservative: it masks dates, times, phone numbers and
  percentages before scanning, and refuses numbers glued to letters (identifiers such as
  "INV2024") unless the letters are a currency ("RM15.90"). Missing an amount costs less than
  inventing one, because the field and line-item extractors choose among candidates.
* A plain space between digit groups ("1 234,56") is accepted as a thousands separator by
  default, but it is the one place where two table cells ("2 100,00": a quantity and a price)
  can merge; callers reading table rows pass ``space_groups=False``. Non-breaking and thin
  spaces are always thousands separators.
* Day/month order is a document property, not a per-date one: :func:`infer_day_first` looks at
  every date on the document, and ambiguous single dates are flagged rather than guessed
  silently.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

# --- amounts -----------------------------------------------------------------------------------

# ISO 4217 codes that invoices and receipts print (shared with ``identifiers``).
CURRENCY_CODES = frozenset(
    {
        "AED",
        "ARS",
        "AUD",
        "BGN",
        "BRL",
        "CAD",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CZK",
        "DKK",
        "EGP",
        "EUR",
        "GBP",
        "HKD",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "ISK",
        "JPY",
        "KRW",
        "MAD",
        "MXN",
        "MYR",
        "NGN",
        "NOK",
        "NZD",
        "PEN",
        "PHP",
        "PLN",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "TWD",
        "UAH",
        "USD",
        "VND",
        "ZAR",
    }
)
_CURRENCY_SYMBOLS = "$€£¥₹₩₽₺₫฿₱₪₦₴"
# Tokens that may be glued to or precede/follow an amount; longest first so "US$" wins over "$".
_CURRENCY_TOKENS = (
    "US$",
    "S$",
    "A$",
    "C$",
    "R$",
    "HK$",
    "NZ$",
    "RM",
    "Rp",
    "kr",
    "Kč",
    "zł",
    "Fr.",
    "Fr",
    "Ft",
    "lei",
    "$",
    "€",
    "£",
    "¥",
    "₹",
    "₩",
    "₽",
    "₺",
    "₫",
    "฿",
    "₱",
    "₪",
    "₦",
    "₴",
    *sorted(CURRENCY_CODES),
)
_CURRENCY_SET = {t.lower() for t in _CURRENCY_TOKENS}
_CURRENCY_RE = "|".join(re.escape(t) for t in sorted(_CURRENCY_TOKENS, key=len, reverse=True))

_GROUP_CHARS = "'’\u00a0\u202f\u2009"  # always thousands separators
_MINUS = "-−–"
_NUMBER_CORE = re.compile(r"\d+(?:[.,_]\d+)*")
_DASH_DECIMALS = re.compile(r"(\d{1,3}(?:[.,_]\d{3})*|\d+)[.,][-–—]{1,2}")


def _split_number(core: str, decimal_hint: str | None) -> Decimal | None:
    """Value of a bare number whose group separators are ``.``, ``,`` or ``_`` (spaces, quotes)."""
    dash = _DASH_DECIMALS.fullmatch(core)
    if dash:  # "5,-" / "5.--": whole units
        return _split_number(dash.group(1), decimal_hint)
    if not _NUMBER_CORE.fullmatch(core):
        return None
    pieces = re.split(r"([.,_])", core)
    groups, seps = pieces[0::2], pieces[1::2]
    if not seps:
        if len(core) >= 7:  # phone, account or document number, not a printed amount
            return None
        return Decimal(core)
    last = seps[-1]
    decimal: str | None = None
    if last != "_":
        kinds = {s for s in seps if s != "_"}
        if len(kinds) == 2 or (seps.count(last) == 1 and len(seps) > 1):
            decimal = last
        elif seps.count(last) == 1:
            tail, head = groups[-1], groups[0]
            if (
                len(tail) != 3
                or head == "0"
                or len(head) > 3
                or decimal_hint == last
                or (decimal_hint is None and last == ".")
            ):
                decimal = last
    int_groups = groups[:-1] if decimal else groups
    if decimal and seps[:-1].count(decimal):
        return None  # "1,234,56": the decimal separator used as a group separator too
    if len(int_groups) > 1 and (not 1 <= len(int_groups[0]) <= 3 or any(len(g) != 3 for g in int_groups[1:])):
        return None
    if len({s for s in seps[: len(int_groups) - 1]}) > 1:
        return None  # "1.234,567.000": two different thousands separators
    integer = "".join(int_groups)
    text = f"{integer}.{groups[-1]}" if decimal else integer
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex only lets digits through
        return None


def _core(text: str, space_groups: bool = True) -> str:
    out = text
    for ch in _GROUP_CHARS:
        out = out.replace(ch, "_")
    if space_groups:
        out = re.sub(r"(?<=\d) (?=\d{3}(?!\d))", "_", out)
    return out


_LEAD_CURRENCY = re.compile(rf"^(?:{_CURRENCY_RE})\s*", re.IGNORECASE)
_TRAIL_CURRENCY = re.compile(rf"\s*(?:{_CURRENCY_RE})$", re.IGNORECASE)


def parse_amount(text: str, decimal_hint: str | None = None) -> Decimal | None:
    """One amount as printed, sign and currency included; ``None`` when it is not an amount."""
    s = text.strip()
    negative = False
    for _ in range(4):
        before = s
        s = _LEAD_CURRENCY.sub("", s).strip() if not s[:1].isdigit() else s
        s = _TRAIL_CURRENCY.sub("", s).strip() if not s[-1:].isdigit() else s
        if len(s) >= 2 and s[0] == "(" and s[-1] == ")":
            s, negative = s[1:-1].strip(), not negative
        if s[:1] in _MINUS and s[:1]:
            s, negative = s[1:].strip(), not negative
        elif s[:1] == "+":
            s = s[1:].strip()
        if s[-1:] in _MINUS and s[-1:] and not re.search(r"[.,][-–—]{1,2}$", s):
            s, negative = s[:-1].strip(), not negative
        if s == before:
            break
    if not s or not s[0].isdigit() or s[-1] not in "0123456789-–—":
        return None
    if re.search(r"\s{2,}|\s(?!\d{3}(?!\d))", s):
        return None  # words, or spaces that do not separate groups of three digits
    value = _split_number(_core(s), decimal_hint)
    if value is None:
        return None
    return -value if negative and value else value


def format_amount(d: Decimal) -> str:
    """Plain string with two decimals, or more where they carry information ("0.125")."""
    if d == d.quantize(Decimal("0.01")):
        return format(d.quantize(Decimal("0.01")), "f")
    return format(d.normalize(), "f")


# Numeric dates, times and phone numbers are masked before amounts are scanned.
_NUMERIC_DATE = re.compile(r"(?<![\d.,])\d{1,4}([./-])\d{1,2}\1\d{2,4}(?![\d])")
_ISO_DATE = re.compile(r"(?<!\d)\d{4}-\d{1,2}(?:-\d{1,2})?(?!\d)")
_TIME = re.compile(r"(?<![\d.,])\d{1,2}[:h]\d{2}(?::\d{2})?(?![\d])(?:\s?[AaPp]\.?[Mm]\.?)?")
_PHONE = re.compile(r"(?:\+|\b00|\(0?|\b0)?\d[\d \-/()]{5,}\d")


def _amount_re(space_groups: bool) -> re.Pattern[str]:
    group_chars = _GROUP_CHARS + (" " if space_groups else "")
    return re.compile(
        rf"""
        (?P<pre>\(\s*)?
        (?P<sign>[{_MINUS}+]\s?)?
        (?P<num>
            \d{{1,3}}(?:[,.{group_chars}]\d{{3}})+(?:[.,](?:\d+|[-–—]{{1,2}}))?
          | \d+(?:[.,](?:\d+|[-–—]{{1,2}}))?
        )
        (?P<tsign>-(?!\d))?
        (?P<post>\s*\))?
        """,
        re.VERBOSE,
    )


_AMOUNT = {True: _amount_re(True), False: _amount_re(False)}


@lru_cache(maxsize=8192)
def _mask(text: str) -> str:
    """``text`` with dates, times and phone numbers blanked out (cached: the decimal-separator
    vote and the amount search mask every line)."""
    chars = list(text)

    def blank(start: int, end: int) -> None:
        for i in range(start, end):
            chars[i] = "\x00"

    for pattern in (_NUMERIC_DATE, _ISO_DATE, _TIME):
        for m in pattern.finditer(text):
            blank(m.start(), m.end())
    for m in _PHONE.finditer(text):
        span = m.group(0).rstrip(" -/(")
        digits = sum(c.isdigit() for c in span)
        if digits >= 7 and (span[:1] in "+(0" or re.search(r"\d[-/()]\d|\)", span)):
            blank(m.start(), m.start() + len(span))
    for pattern in _month_patterns(text):  # even out-of-range years: "5 Mar 1985" is no amount
        for m in pattern.finditer(text):
            blank(m.start(), m.end())
    return "".join(chars)


def _letters_before(text: str, i: int) -> str:
    j = i
    while j > 0 and (text[j - 1].isalpha() or text[j - 1] in _CURRENCY_SYMBOLS or text[j - 1] == "."):
        j -= 1
    return text[j:i]


def _letters_after(text: str, i: int) -> str:
    j = i
    while j < len(text) and (text[j].isalpha() or text[j] in _CURRENCY_SYMBOLS):
        j += 1
    return text[i:j]


def find_amounts(
    text: str, decimal_hint: str | None = None, *, space_groups: bool = True
) -> list[tuple[int, int, Decimal]]:
    """Every amount-looking token in ``text`` as ``(start, end, value)``, left to right."""
    return list(_find_amounts(text, decimal_hint, space_groups))


@lru_cache(maxsize=8192)
def _find_amounts(
    text: str, decimal_hint: str | None, space_groups: bool
) -> tuple[tuple[int, int, Decimal], ...]:
    """``find_amounts``, cached: amount, id and tax-line candidates all read the same lines."""
    masked = _mask(text)
    out: list[tuple[int, int, Decimal]] = []
    for m in _AMOUNT[space_groups].finditer(masked):
        value = _accept(masked, m, decimal_hint, space_groups)
        if value is None:
            continue
        paren = bool(m.group("pre") and m.group("post"))
        start = m.start() if paren or not m.group("pre") else m.start("sign" if m.group("sign") else "num")
        end = m.end() if paren or not m.group("post") else m.end("tsign" if m.group("tsign") else "num")
        out.append((start, end, value))
    return tuple(out)


def _accept(masked: str, m: re.Match[str], decimal_hint: str | None, space_groups: bool) -> Decimal | None:
    start, num_end = m.start(), m.end("num")
    sign = m.group("sign") or ""
    prev = masked[start - 1] if start > 0 else " "
    nxt = masked[num_end] if num_end < len(masked) else " "
    if prev.isdigit() or prev in "\x00#/.,_":
        return None
    if sign[:1] in _MINUS and sign and prev.isalnum():
        return None  # "INV-001", "A-12": an identifier, not a negative amount
    if prev.isalpha() or prev in _CURRENCY_SYMBOLS:
        word = _letters_before(masked, start)
        operator = word in ("x", "X", "×") and (start < 2 or not masked[start - 2].isalpha())
        if word.lower() not in _CURRENCY_SET and word[-1] not in _CURRENCY_SYMBOLS and not operator:
            return None
    if nxt.isdigit() or nxt in "\x00/_" or re.match(r"[.,:]\d", masked[num_end : num_end + 2]):
        return None
    if nxt in _MINUS and re.match(r".\d", masked[num_end : num_end + 2]):
        return None
    if nxt.isalpha() or nxt in _CURRENCY_SYMBOLS:
        word = _letters_after(masked, num_end)
        operator = word in ("x", "X", "×")
        if word.lower() not in _CURRENCY_SET and not operator:
            return None
    if re.match(r"\s*%", masked[num_end:]):
        return None
    value = _split_number(_core(m.group("num"), space_groups), decimal_hint)
    if value is None:
        return None
    negative = (sign[:1] in _MINUS and bool(sign)) ^ bool(m.group("tsign"))
    if m.group("pre") and m.group("post"):
        negative = not negative
    return -value if negative and value else value


_DECIMAL_VOTE = re.compile(r"(?<![\d.,])\d[\d.,' ]*?([.,])(\d+)(?![\d.,]?\d)")


def guess_decimal_separator(texts: Iterable[str]) -> str | None:
    """The document's decimal separator, "," or ".": each number ending in exactly two decimals
    ("12,50") or using both characters ("1.234,5") votes; ``None`` on a tie or no evidence."""
    votes = {",": 0, ".": 0}
    for text in texts:
        for m in _DECIMAL_VOTE.finditer(_mask(text)):
            sep, tail = m.group(1), m.group(2)
            other = "," if sep == "." else "."
            if len(tail) == 2 or other in m.group(0)[: -len(tail) - 1]:
                votes[sep] += 1
    if votes[","] == votes["."]:
        return None
    return "," if votes[","] > votes["."] else "."


# --- dates and times --------------------------------------------------------------------------

# Month names and abbreviations in en/es/fr/de/it/pt/nl, accented and unaccented.
_MONTH_WORDS = (
    "january jan enero ene janvier janv januar jänner janner jän gennaio gen janeiro januari",
    "february feb febrero février fevrier févr fevr fév fev februar febbraio fevereiro februari",
    "march mar marzo mars märz marz mär mrz março marco maart mrt",
    "april apr abril abr avril avr aprile",
    "may mayo mai maggio mag maio mei",
    "june jun junio juin juni giugno giu junho",
    "july jul julio juillet juil juli luglio lug julho",
    "august aug agosto ago août aout augustus",
    "september sep sept septiembre setiembre set septembre settembre setembro",
    "october oct octubre octobre oktober okt ottobre ott outubro out",
    "november nov noviembre novembre novembro",
    "december dec diciembre dic décembre decembre déc dezember dez dicembre dezembro",
)
_MONTHS = {word: number for number, words in enumerate(_MONTH_WORDS, 1) for word in words.split()}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"(?P<y>\d{4}|'?\d{2})(?![\d]|[.,:]\d)"
_DAY_MONTH = re.compile(
    rf"(?<![\w.,/])(?P<d>\d{{1,2}})(?:er|st|nd|rd|th|º|°)?\.?[\s\-/.]*(?:(?:de|of)\s+)?"
    rf"(?P<m>{_MONTH_RE})(?![^\W\d_])\.?[\s\-/.,]*(?:(?:de|del)\s+)?{_YEAR}",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    rf"(?<![^\W\d_])(?P<m>{_MONTH_RE})(?![^\W\d_])\.?\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"(?:\s*,\s*|\s+|-|/|(?=')){_YEAR}",
    re.IGNORECASE,
)
_YMD = re.compile(r"(?<![\d.,/-])(?P<y>\d{4})(?P<s>[-/.])(?P<a>\d{1,2})(?P=s)(?P<b>\d{1,2})(?![\d]|[.,/-]\d)")
# OCR glues a receipt's time to its date ("23/03/20183:13:19", "27/06/185:02:32"): a year may be
# followed directly by a time.
_DMY = re.compile(
    r"(?<![\d.,/-])(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})"
    r"(?:(?=\d{1,2}:\d{2}(?!\d))|(?![\d]|[.,/-]\d))"
)


def _month_patterns(text: str) -> tuple[re.Pattern[str], ...]:
    """The textual-date patterns, or none when no word is a month name (most lines): scanning
    the long month alternation at every letter costs more than the rest of the line's parsing."""
    if any(word.lower() in _MONTHS for word in re.findall(r"[^\W\d_]+", text)):
        return (_DAY_MONTH, _MONTH_DAY)
    return ()


@dataclass(frozen=True)
class DateMatch:
    start: int
    end: int
    value: datetime.date
    ambiguous: bool  # the day and month could be swapped and both readings are valid dates


def _year(text: str) -> int:
    y = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 2:
        y += 2000 if y <= 69 else 1900
    return y


def _date(y: int, m: int, d: int) -> datetime.date | None:
    if not 1990 <= y <= 2100:
        return None
    try:
        return datetime.date(y, m, d)
    except ValueError:
        return None


def _textual_dates(text: str, day_first: bool | None) -> list[DateMatch]:
    out = []
    for pattern in _month_patterns(text):
        for m in pattern.finditer(text):
            value = _date(_year(m.group("y")), _MONTHS[m.group("m").lower()], int(m.group("d")))
            if value is not None:
                out.append(DateMatch(m.start(), m.end(), value, False))
    return out


def _numeric_dates(text: str, day_first: bool | None) -> list[DateMatch]:
    out = []
    for m in _YMD.finditer(text):
        value = _date(int(m.group("y")), int(m.group("a")), int(m.group("b")))
        if value is not None:
            out.append(DateMatch(m.start(), m.end(), value, False))
    for m in _DMY.finditer(text):
        a, b, y = int(m.group("a")), int(m.group("b")), _year(m.group("y"))
        dmy, mdy = _date(y, b, a), _date(y, a, b)
        first, second = (mdy, dmy) if day_first is False else (dmy, mdy)
        value = first or second
        if value is not None:
            out.append(DateMatch(m.start(), m.end(), value, dmy is not None and mdy is not None and a != b))
    return out


def find_dates(text: str, day_first: bool | None = None) -> list[DateMatch]:
    """Every valid date in ``text``, left to right; textual dates win over overlapping numbers."""
    return list(_find_dates(text, day_first))


@lru_cache(maxsize=8192)
def _find_dates(text: str, day_first: bool | None) -> tuple[DateMatch, ...]:
    """``find_dates``, cached: date and id candidates read the same lines."""
    out: list[DateMatch] = []
    for match in _textual_dates(text, day_first) + _numeric_dates(text, day_first):
        if all(match.end <= o.start or match.start >= o.end for o in out):
            out.append(match)
    return tuple(sorted(out, key=lambda d: d.start))


_MONTH_FIRST_COUNTRIES = {"US", "PH", "FM", "MH", "PW", "GU", "AS", "PR", "VI"}
_DAY_FIRST_LANGUAGES = {"es", "fr", "de", "it", "pt", "nl"}


def infer_day_first(
    texts: Iterable[str], country: str | None = None, language: str | None = None
) -> bool | None:
    """Day-first or month-first for the document's numeric dates; ``None`` without evidence.

    Unambiguous dates on the page ("25/03/2024") beat the country, which beats the language;
    Canada and English alone are left undecided because both orders are common there."""
    votes = Counter[bool]()
    for text in texts:
        for m in _DMY.finditer(text):
            a, b = int(m.group("a")), int(m.group("b"))
            if a > 12 >= b >= 1:
                votes[True] += 1
            elif b > 12 >= a >= 1:
                votes[False] += 1
    if votes[True] != votes[False]:
        return votes[True] > votes[False]
    if country:
        cc = country.upper()
        return None if cc == "CA" else cc not in _MONTH_FIRST_COUNTRIES
    if language and language.lower() in _DAY_FIRST_LANGUAGES:
        return True
    return None


_TIME_FULL = re.compile(
    r"(?<![\d.,:])(?P<h>\d{1,2})(?:(?P<sep>[:h])(?P<mi>\d{2})(?::(?P<s>\d{2}))?)?(?![\d]|[.,:/]\d)"
    r"(?:\s?(?P<ap>[AaPp])(?:\.[Mm]\.?|[Mm])(?![^\W\d_]))?"
)


def find_times(text: str) -> list[tuple[int, int, str]]:
    """Clock times as ``(start, end, "HH:MM:SS")`` in 24-hour form ("2:03 PM" -> "14:03:00")."""
    out = []
    for m in _TIME_FULL.finditer(text):
        if m.group("mi") is None and m.group("ap") is None:
            continue  # a bare number is not a time
        h, mi, sec = int(m.group("h")), int(m.group("mi") or 0), int(m.group("s") or 0)
        if m.group("ap"):
            if not 1 <= h <= 12:
                continue
            h = h % 12 + (12 if m.group("ap").lower() == "p" else 0)
        if h > 23 or mi > 59 or sec > 59:
            continue
        out.append((m.start(), m.end(), f"{h:02d}:{mi:02d}:{sec:02d}"))
    return out
