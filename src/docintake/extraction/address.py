"""Street, postcode, city and country of a printed address block.

A supplier's address is printed as a few lines ("Kirchstr. 60" / "48053 Nürnberg" / "Deutschland"),
and what the lines mean follows the postal conventions of the country, not the layout of the
document: Germany, France, Spain, Italy, Austria, Belgium, Portugal, the Netherlands and Malaysia
print the postcode *before* the city ("48053 Nürnberg", "1000-001 Lisboa", "1234 AB Amsterdam"),
the UK, Singapore and the US print it *after* ("London SW1A 1AA", "Singapore 018989", "Austin,
TX 78701"), and the UK and Ireland often give the postcode a line of its own under the city. So the
block is read by postcode *form* per country (five digits, four digits, "1234 AB", "1234-567",
"SW1A 1AA", Eircode "D02 X285", "ST 12345", six digits), and street and city are found relative to
the line the postcode is on. Old-style country prefixes ("D-10115", "F-75001") are accepted and
name the country.

Deliberately, there is no gazetteer (lists of cities or streets go stale, are large and never
cover the small town a supplier sits in) and no per-vendor knowledge (a template per supplier
would only fit the suppliers already seen): the forms above are what every address of a country
shares. The country comes from a line that is only a country name, else from a postcode prefix,
else from the caller (who may know it from a VAT number or IBAN), else from a postcode form only
one country uses ("1234 AB", "1234-567", "SW1A 1AA").

The block may start with the company's name and end with a country, phone, e-mail or web line;
name lines carry no house number or street word and contact lines are recognised and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from docintake.extraction.identifiers import country_from_name, normalize_postcode


@dataclass(frozen=True)
class AddressParts:
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None


# --- postcode forms ----------------------------------------------------------------------------

_PREFIX_COUNTRY = {"D": "DE", "F": "FR", "E": "ES", "I": "IT", "A": "AT", "B": "BE", "NL": "NL", "P": "PT"}
_PREFIX_COUNTRY |= {"CH": "CH", "L": "LU", "DK": "DK", "S": "SE", "FI": "FI", "SF": "FI", "N": "NO"}
_PREFIX_COUNTRY |= {
    cc: cc for cc in ("DE", "FR", "ES", "IT", "AT", "BE", "PT", "LU", "SE", "NO")
}  # "BE-9000"
# One-line addresses in letterheads and window-envelope sender lines separate their parts with a
# middle dot or a bar: "Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld · Deutschland".
PART_SEPARATOR = re.compile(r"\s+[·•●|]\s+")
_PREFIX = r"(?:(?P<prefix>[A-Z]{1,2})-\s?)?"
_CITY = r"(?P<city>[^\W\d_].*?)"

# Countries that print "postcode city", with their postcode.
_CODE_FIRST = {
    "DE": r"\d{5}",
    "FR": r"\d{5}",
    "ES": r"\d{5}",
    "IT": r"\d{5}",
    "MY": r"\d{5}",
    "FI": r"\d{5}",
    "SE": r"\d{3} ?\d{2}",
    "AT": r"\d{4}",
    "BE": r"\d{4}",
    "CH": r"\d{4}",
    "LU": r"\d{4}",
    "DK": r"\d{4}",
    "NO": r"\d{4}",
    "PT": r"\d{4}-\d{3}",
    "NL": r"[1-9]\d{3} ?[A-Z]{2}",
}
_GB_CODE = r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"
_IE_CODE = r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9A-Z]{4}"  # the unique part is read leniently (OCR)
_STATE = r"(?:^|(?<=[\s,]))(?P<state>[A-Z]{2})\.?,?\s+"
_US_CODE = re.compile(_STATE + r"(?P<code>\d{5}(?:-\d{4})?)(?![\w-])")
_CA_CODE = re.compile(_STATE + r"(?P<code>[A-Z]\d[A-Z] ?\d[A-Z]\d)(?![\w-])")

# Form-only guesses when no country is known: the forms one country uses go first.
_UNIQUE_FORMS = ("PT", "NL", "US", "CA", "SG", "GB", "IE")
_SHARED_FORMS = ("DE", "AT")  # five digits, then four digits; the country stays unknown

_CONTACT = re.compile(
    r"@|www\.|https?:|\+\d|\b(?:tel|phone|fon|telefon|telefone|telefoon|teléfono|telefono|tél|fax|mob|mobile"
    r"|e-?mail|web|vat|tva|iva|btw|ust|nif|cif|uid|gst|sst)\b",
    re.IGNORECASE,
)
_STREET_WORD = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|lane|ln|way|drive|dr|close|court|ct|crescent|place|square|blvd|boulevard"
    r"|highway|hwy|parkway|terrace|row|rue|allée|allee|chemin|impasse|quai|cours|route|calle|c/|avda|avenida"
    r"|paseo|plaza|camino|carretera|ronda|travesía|via|viale|corso|piazza|piazzale|largo|vicolo|strada|rua"
    r"|travessa|praça|estrada|alameda|jalan|jln|lorong|persiaran|lebuh|no)\b\.?"
    r"|(?:straße|strasse|str\.|weg|allee|ring|gasse|platz|damm|ufer|steig|straat|laan|plein|gracht|kade"
    r"|singel|dijk|steeg|markt|hof)\b",
    re.IGNORECASE,
)
_HOUSE_NUMBER = re.compile(r"(?<![\w-])\d{1,5}[a-zA-Z]?(?:[-/]\d{1,4}[a-zA-Z]?)?(?![\w])")
_EXTRA_LINE = re.compile(
    r"\b(?:floor|suite|unit|building|bldg|block|business park|industrial estate|po box|p\.o\. box|étage|etage"
    r"|bâtiment|batiment|bât|zone|stock|postfach|gewerbepark|gebäude|piso|planta|nave|polígono|apartado"
    r"|scala|edificio|interno|armazém|armazem|andar|lote|bus|postbus)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Hit:
    line: int  # index of the postcode's line
    postcode: str
    city: str | None
    before: str  # what precedes the postcode (or the city, in "city postcode" forms) on its line
    country: str | None  # the country a prefix ("D-", "F-") names


def _clean_city(city: str) -> str | None:
    city = re.sub(r"\s+", " ", city).strip(" \t,;:-–·|/")
    parts = [p.strip() for p in city.split(",")]
    if len(parts) > 1 and country_from_name(parts[-1]):
        city = ", ".join(parts[:-1])
    city = re.sub(r"\s+(?:CEDEX|Cedex|cedex)(?:\s+\d{1,3})?$", "", city)
    city = re.sub(r"\s*\([A-Z]{2}\)$", "", city)  # Italian province: "Milano (MI)"
    return city.strip(" \t,;:-–·|/") or None


def _before(line: str, end: int) -> str:
    return line[:end].strip(" \t,;:-–·|/")


def _code_first(lines: Sequence[str], cc: str) -> _Hit | None:
    pattern = re.compile(
        r"(?:^|(?<=[\s,;·|/]))" + _PREFIX + r"(?P<code>" + _CODE_FIRST[cc] + r")\s+" + _CITY + r"$"
    )
    for i in range(len(lines) - 1, -1, -1):
        m = pattern.search(lines[i])
        if m is None:
            continue
        prefix = m.group("prefix")
        named = _PREFIX_COUNTRY.get(prefix) if prefix else None
        if prefix and named is None:
            continue
        return _Hit(i, m.group("code"), _clean_city(m.group("city")), _before(lines[i], m.start()), named)
    return None


def _code_last(lines: Sequence[str], code: str) -> _Hit | None:
    """GB and IE: "City POSTCODE", "POSTCODE" on its own line under the city, or "POSTCODE City"."""
    pattern = re.compile(r"(?<![\w-])(?P<code>" + code + r")(?![\w-])")
    for i in range(len(lines) - 1, -1, -1):
        line = lines[i]
        m = pattern.search(line)
        if m is None:
            continue
        head, tail = line[: m.start()].strip(" \t,;:-–·|/"), line[m.end() :].strip(" \t,;:-–·|/")
        if tail and country_from_name(tail) is None and not head:
            return _Hit(i, m.group("code"), _clean_city(tail), "", None)
        # "High Street, London SW1A 1AA": the city is the last comma part before the postcode
        parts = [p.strip() for p in head.split(",")] if head else []
        city = parts.pop() if parts and not re.search(r"\d", parts[-1]) else None
        if (
            city is None
            and i > 0
            and not re.search(r"\d", lines[i - 1])
            and not _CONTACT.search(lines[i - 1])
        ):
            return _Hit(i - 1, m.group("code"), _clean_city(lines[i - 1]), "", None)
        return _Hit(i, m.group("code"), _clean_city(city) if city else None, ", ".join(parts), None)
    return None


def _singapore(lines: Sequence[str]) -> _Hit | None:
    pattern = re.compile(
        r"(?:(?P<city>Singapore|SINGAPORE|Singapura)\s*,?\s*|(?<![\w-])S\(?)(?P<code>\d{6})\)?\b"
    )
    for i in range(len(lines) - 1, -1, -1):
        m = pattern.search(lines[i])
        if m is not None:
            return _Hit(i, m.group("code"), "Singapore", _before(lines[i], m.start()), None)
    return None


def _north_america(lines: Sequence[str], cc: str) -> _Hit | None:
    """ "Austin, TX 78701" or "500 Main St, Austin, TX 78701": the city is the comma part before
    the state."""
    pattern = _US_CODE if cc == "US" else _CA_CODE
    for i in range(len(lines) - 1, -1, -1):
        m = pattern.search(lines[i])
        if m is None:
            continue
        parts = [p.strip() for p in lines[i][: m.start()].split(",") if p.strip()]
        city = parts.pop() if parts and not re.search(r"\d", parts[-1]) else None
        return _Hit(i, m.group("code"), _clean_city(city) if city else None, ", ".join(parts), None)
    return None


def _find(lines: Sequence[str], cc: str) -> _Hit | None:
    if cc in _CODE_FIRST:
        return _code_first(lines, cc)
    if cc == "GB":
        return _code_last(lines, _GB_CODE)
    if cc == "IE":
        return _code_last(lines, _IE_CODE)
    if cc == "SG":
        return _singapore(lines)
    if cc in ("US", "CA"):
        return _north_america(lines, cc)
    return None


def _street(lines: Sequence[str], hit: _Hit) -> str | None:
    """The line before the postcode block most like a street: one with a street word or house
    number, preferring a real street over "Building 4" / "2nd Floor" lines, and the later line."""
    if hit.before:
        return hit.before
    best: tuple[int, int, int] | None = None
    street: str | None = None
    for i, line in enumerate(lines[: hit.line]):
        text = line.strip(" \t,;")
        if not text or _CONTACT.search(text) or country_from_name(text):
            continue
        looks = bool(_STREET_WORD.search(text) or _HOUSE_NUMBER.search(text))
        key = (int(looks), int(not _EXTRA_LINE.search(text)), i)
        if best is None or key > best:
            best, street = key, text
    return street


def split_address(printed_lines: Sequence[str], country: str | None) -> AddressParts:
    """Street, postcode, city and country (ISO 3166 alpha-2) of an address block printed as
    ``printed_lines``; parts that cannot be told are ``None``. ``country`` is what the caller
    knows (from a VAT number, IBAN or the document), used when the block names none."""
    parts = [part for ln in printed_lines for part in PART_SEPARATOR.split(ln)]
    lines = [re.sub(r"\s+", " ", ln).strip() for ln in parts]
    lines = [ln for ln in lines if ln]
    # a line that is a country name, or ends in one ("10115 Berlin, Deutschland")
    named = next((cc for ln in lines if (cc := country_from_name(ln.rpartition(",")[2]))), None)
    # a country line ends the address: anything under it (phone, e-mail) is not part of it
    body = [ln for ln in lines if not country_from_name(ln) and not _CONTACT.search(ln)]
    given = (country or "").upper() or None
    hit: _Hit | None = None
    for cc in dict.fromkeys(c for c in (named, given) if c):
        hit = _find(body, cc)
        if hit is not None:
            break
    guessed: str | None = None
    if hit is None:  # a foreign address, or no country known: try the forms
        for cc in _UNIQUE_FORMS + _SHARED_FORMS:
            hit = _find(body, cc)
            if hit is not None:
                guessed = cc if cc in _UNIQUE_FORMS else None
                break
    if hit is None:
        street = next((ln for ln in body if _STREET_WORD.search(ln) and _HOUSE_NUMBER.search(ln)), None)
        return AddressParts(street=street, country=named or given)
    found = named or hit.country or guessed or given
    return AddressParts(
        street=_street(body, hit) or None,
        postcode=normalize_postcode(hit.postcode, found),
        city=hit.city,
        country=found,
    )
