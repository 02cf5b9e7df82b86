"""What a document's text says about its origin: currency, language, country, tax ids, IBANs,
e-mail addresses and phone numbers.

These are recognised by their form (check digits, ISO code lists, symbols, stopwords), not by
position, so they are plain functions over text like ``normalize``; the extractor decides which
occurrence belongs to the supplier. IBANs and VAT numbers are only reported when python-stdnum
accepts their check digits, which makes them near-certain evidence of the country too.
"""

from __future__ import annotations

import re
from collections import Counter

from stdnum import iban as stdnum_iban
from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from docintake.extraction.normalize import find_dates

# --- currency and language ---------------------------------------------------------------------

# Real ISO 4217 codes that invoices use; words that are also codes in upper case ("ALL", "TOP",
# "CUP") are left out because receipts shout them.
_ISO_CODES = set(
    [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "MYR",
        "SGD",
        "AUD",
        "CAD",
        "NZD",
        "HKD",
        "JPY",
        "CNY",
        "INR",
        "SEK",
        "NOK",
        "DKK",
        "ISK",
        "PLN",
        "CZK",
        "HUF",
        "RON",
        "BGN",
        "RSD",
        "TRY",
        "ZAR",
        "BRL",
        "MXN",
        "ARS",
        "CLP",
        "COP",
        "IDR",
        "THB",
        "PHP",
        "VND",
        "KRW",
        "TWD",
        "AED",
        "SAR",
        "QAR",
        "ILS",
        "RUB",
        "UAH",
        "NGN",
        "EGP",
        "MAD",
    ]
)
_SYMBOLS = {"€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₫": "VND"}
_SYMBOLS |= {"฿": "THB", "₱": "PHP", "₪": "ILS", "₦": "NGN", "₴": "UAH", "zł": "PLN", "Kč": "CZK"}
_PREFIXED_DOLLARS = {"US": "USD", "S": "SGD", "A": "AUD", "C": "CAD", "R": "BRL", "HK": "HKD", "NZ": "NZD"}
_DOLLAR_BY_COUNTRY = {"CA": "CAD", "AU": "AUD", "NZ": "NZD", "SG": "SGD", "HK": "HKD", "MX": "MXN"}
_DOLLAR_BY_COUNTRY |= {"TW": "TWD", "BR": "BRL"}
_KRONA_BY_COUNTRY = {"SE": "SEK", "NO": "NOK", "DK": "DKK", "IS": "ISK", "FO": "DKK", "GL": "DKK"}
_EURO_COUNTRIES = "DE FR ES IT NL PT BE AT IE FI LU GR EL SK SI EE LV LT MT CY HR MC SM VA AD"
_CURRENCY_BY_COUNTRY = dict.fromkeys(_EURO_COUNTRIES.split(), "EUR") | _KRONA_BY_COUNTRY
_CURRENCY_BY_COUNTRY |= {"GB": "GBP", "US": "USD", "MY": "MYR", "CH": "CHF", "LI": "CHF", "PL": "PLN"}
_CURRENCY_BY_COUNTRY |= {"CZ": "CZK", "HU": "HUF", "RO": "RON", "BG": "BGN", "JP": "JPY", "CN": "CNY"}
_CURRENCY_BY_COUNTRY |= {"IN": "INR", "ID": "IDR", "TH": "THB", "PH": "PHP", "ZA": "ZAR", "TR": "TRY"}
_CURRENCY_BY_COUNTRY |= {c: code for c, code in _DOLLAR_BY_COUNTRY.items()}
_CURRENCY_SIGNAL = re.compile(
    r"(?<![A-Za-z])(?P<code>[A-Z]{3})(?![A-Za-z])"
    r"|(?<![A-Za-z])(?P<pre>US|HK|NZ|S|A|C|R)\$|(?P<dollar>\$)"
    r"|(?<![A-Za-z])(?P<word>RM|Rp|kr|Kr|KR|SFr|Fr|Ft)(?![^\W\d_])"
    r"|(?P<sym>[€£¥₹₩₽₺₫฿₱₪₦₴]|zł|Kč)"
)


def detect_currency(text: str, country: str | None = None) -> str | None:
    """ISO 4217 code from codes and symbols on the page (the most frequent wins), else from the
    country; "$" and "kr" are read through the country because several currencies share them."""
    cc = (country or "").upper()
    votes = Counter[str]()
    for m in _CURRENCY_SIGNAL.finditer(text):
        code: str | None = None
        if m.group("code"):
            code = m.group("code") if m.group("code") in _ISO_CODES else None
        elif m.group("pre"):
            code = _PREFIXED_DOLLARS[m.group("pre")]
        elif m.group("dollar"):
            code = _DOLLAR_BY_COUNTRY.get(cc, "USD")
        elif m.group("word"):
            word = m.group("word").lower()
            if word == "rm":
                code = "MYR"
            elif word == "rp":
                code = "IDR"
            elif word == "ft":
                code = "HUF"
            elif word in ("fr", "sfr"):
                code = "CHF" if cc in ("", "CH", "LI") else None
            else:
                code = _KRONA_BY_COUNTRY.get(cc)
        else:
            code = _SYMBOLS[m.group("sym")]
        if code:
            votes[code] += 1
    if votes:
        return votes.most_common(1)[0][0]
    return _CURRENCY_BY_COUNTRY.get(cc)


_LANGUAGE_WORDS = {
    "en": "the and of to for with from your invoice total amount date due tax payment bill please thank "
    "you qty quantity description price subtotal number receipt customer balance paid unit",
    "es": "el la los las del y que en por para con factura fecha importe cantidad precio iva base "
    "imponible cliente descripción descripcion vencimiento pago gracias número numero forma",
    "fr": "le la les des du et pour avec facture montant quantité quantite prix tva ttc ht client "
    "échéance echeance paiement merci numéro numero désignation designation règlement",
    "de": "der die das und mit für fur von rechnung datum betrag menge preis mwst ust netto brutto summe "
    "gesamt kunde zahlbar bitte vielen dank nr steuer zahlung bis gesamtbetrag einzelpreis",
    "it": "il lo gli della di e per con fattura data importo quantità quantita prezzo iva imponibile "
    "cliente scadenza pagamento grazie numero totale descrizione",
    "pt": "o os da do das dos e para com fatura factura data valor quantidade preço preco iva cliente "
    "vencimento pagamento obrigado número numero nif contribuinte descrição descricao",
    "nl": "de het een en van voor met factuur datum bedrag aantal prijs btw klant vervaldatum betaling "
    "bedankt nummer totaal omschrijving te betalen",
}
_LANGUAGE_SETS = {lang: set(words.split()) for lang, words in _LANGUAGE_WORDS.items()}


def detect_language(text: str) -> str | None:
    """ISO 639-1 code among en/es/fr/de/it/pt/nl by counting stopwords and invoice vocabulary;
    ``None`` with fewer than three hits or a tie, rather than a guess."""
    scores = Counter[str]()
    for word in re.findall(r"[^\W\d_]+", text.lower()):
        for lang, words in _LANGUAGE_SETS.items():
            if word in words:
                scores[lang] += 1
    ranked = scores.most_common(2)
    if not ranked or ranked[0][1] < 3 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


# --- identifiers and contacts --------------------------------------------------------------------

_CHUNKS = re.compile(r"[A-Z0-9]+(?:[ .\-/][A-Z0-9]+)*")


def _prefix_cuts(text: str, start: int, max_len: int) -> list[tuple[int, str]]:
    """Ends (char offsets) and compact forms of the chunk-aligned prefixes of the id-like run at
    ``start``, longest first: "GB 980 7806 84 12.00" -> "GB980780684", "GB9807806841200", ..."""
    m = _CHUNKS.match(text, start)
    if m is None:
        return []
    cuts: list[tuple[int, str]] = []
    for piece in re.finditer(r"[A-Z0-9]+", m.group(0)):
        end = start + piece.end()
        compact = re.sub(r"[^A-Z0-9]", "", text[start:end])
        if len(compact) > max_len:
            break
        cuts.append((end, compact))
    return cuts[::-1]


def find_ibans(text: str) -> list[tuple[int, int, str]]:
    """IBANs with a valid checksum, printed compact or in groups, as ``(start, end, compact)``."""
    out: list[tuple[int, int, str]] = []
    for m in re.finditer(r"(?<![A-Z0-9])[A-Z]{2} ?\d{2}", text):
        if out and m.start() < out[-1][1]:
            continue
        for end, compact in _prefix_cuts(text, m.start(), 34):
            if len(compact) >= 15 and stdnum_iban.is_valid(compact):
                out.append((m.start(), end, compact))
                break
    return out


_VAT_PREFIX = re.compile(
    r"(?<![A-Z0-9])(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI"
    r"|GB|CHE)(?=[ \-.]?[0-9A-Z])"
)


def _vat_valid(compact: str) -> str | None:
    """Country (ISO 3166) of a valid prefixed VAT number, else ``None``."""
    if compact.startswith("CHE"):  # the UID; "MWST"/"TVA"/"IVA" after it is a separate chunk
        return "CH" if ch_uid.is_valid(compact) else None
    if compact.startswith("GB"):
        return "GB" if gb_vat.is_valid(compact) else None
    if eu_vat.is_valid(compact):
        return {"EL": "GR", "XI": "GB"}.get(compact[:2], compact[:2])
    return None


def find_tax_ids(text: str) -> list[tuple[int, int, str, str | None]]:
    """Country-prefixed VAT numbers whose check digits are right ("DE 136 695 976",
    "CHE-116.281.710 MWST"), as ``(start, end, compact id, ISO country)``."""
    out: list[tuple[int, int, str, str | None]] = []
    for m in _VAT_PREFIX.finditer(text):
        if out and m.start() < out[-1][1]:
            continue
        for end, compact in _prefix_cuts(text, m.start(), 16):
            cc = _vat_valid(compact)
            if cc:
                out.append((m.start(), end, compact, cc))
                break
    return out


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_PHONE_CANDIDATE = re.compile(r"(?:\+|(?<!\d)00|\()?(?<![\d.,])\d[\d \-./()]{5,}\d(?![\d]|[.,]\d)")


def find_emails(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(0)) for m in _EMAIL.finditer(text)]


def find_phones(text: str) -> list[tuple[int, int, str]]:
    """Phone numbers as ``(start, end, digits)``, a leading "+" kept. Seven to fifteen digits, and
    either an international prefix, a trunk "0", brackets or several separators: a bare run of
    digits is more often an invoice or account number."""
    masked = re.sub(r"\d", "\x00", text)
    for date in find_dates(text):
        text = text[: date.start] + masked[date.start : date.end] + text[date.end :]
    out = []
    for m in _PHONE_CANDIDATE.finditer(text):
        span = m.group(0)
        if span[0] == "+":
            span = span.replace("(0)", "")  # the trunk prefix is not dialled from abroad
        digits = re.sub(r"\D", "", span)
        separators = len(re.findall(r"\d[ \-./()]+(?=\d)", span))
        if not 7 <= len(digits) <= 15 or "," in span or span.count(".") == 1 or "\x00" in span:
            continue  # a comma or a single dot: an amount; masked digits: a date
        if span[0] in "+(" or span.startswith("0") or separators >= 2:
            out.append((m.start(), m.end(), ("+" if span[0] == "+" else "") + digits))
    return out


# --- countries -------------------------------------------------------------------------------------

_COUNTRY_NAMES = {
    "DE": "germany deutschland allemagne alemania germania alemanha duitsland",
    "ES": "spain españa espana espagne spanien spagna espanha spanje",
    "FR": "france frankreich francia frança franca frankrijk",
    "IT": "italy italia italie italien itália italië",
    "PT": "portugal portogallo portugali",
    "NL": "netherlands nederland the_netherlands pays-bas niederlande países_bajos paesi_bassi holland",
    "BE": "belgium belgië belgie belgique belgien bélgica belgica belgio",
    "AT": "austria österreich osterreich oesterreich autriche",
    "CH": "switzerland schweiz suisse svizzera suiza suíça suica zwitserland",
    "GB": "united_kingdom uk great_britain england scotland wales royaume-uni reino_unido vereinigtes_königreich",
    "IE": "ireland irlanda irlande irland ierland éire eire",
    "US": "united_states usa u.s.a. united_states_of_america états-unis etats-unis estados_unidos",
    "LU": "luxembourg luxemburg lussemburgo luxemburgo",
    "DK": "denmark danmark dänemark danemark dinamarca",
    "SE": "sweden sverige schweden suède suede suecia svezia",
    "NO": "norway norge norwegen norvège noruega",
    "FI": "finland suomi finnland finlande finlandia",
    "PL": "poland polska polen pologne polonia",
    "CZ": "czech_republic czechia česko tschechien",
    "GR": "greece griechenland grèce grecia grécia",
    "MY": "malaysia",
    "SG": "singapore singapur singapour",
    "CA": "canada kanada",
    "AU": "australia australien australie",
    "NZ": "new_zealand",
    "IN": "india indien inde",
    "CN": "china chine",
    "JP": "japan japon giappone",
    "MX": "mexico méxico mexique mexiko",
    "BR": "brazil brasil brésil brasilien",
}
_COUNTRY_BY_NAME = {n.replace("_", " "): cc for cc, names in _COUNTRY_NAMES.items() for n in names.split()}
_COUNTRY_RE = re.compile(
    r"(?<![^\W\d_])("
    + "|".join(re.escape(n) for n in sorted(_COUNTRY_BY_NAME, key=len, reverse=True))
    + r")(?![^\W\d_])",
    re.IGNORECASE,
)
_UPPER_ONLY = {"uk", "usa"}  # "uk"/"usa" in lower case are too often something else


def country_from_ids(text: str) -> str | None:
    """Country of the first valid VAT number, else of the first IBAN, in ``text``."""
    for _, _, _, cc in find_tax_ids(text):
        if cc:
            return cc
    for _, _, iban in find_ibans(text):
        return iban[:2]
    return None


def country_from_text(text: str) -> str | None:
    """ISO 3166 alpha-2 from country names (the most frequent, the earliest on a tie), else from
    the VAT and IBAN prefixes on the page."""
    votes = Counter[str]()
    for m in _COUNTRY_RE.finditer(text):
        name = m.group(1)
        if name.lower() in _UPPER_ONLY and not name.isupper():
            continue
        votes[_COUNTRY_BY_NAME[name.lower()]] += 1
    if votes:
        return votes.most_common(1)[0][0]
    return country_from_ids(text)


_POSTCODE_PREFIX = re.compile(r"^(?:[A-Z]{1,2}|[A-Z]{1,2}-)\s*(?=\d)")


def normalize_postcode(text: str, country: str | None = None) -> str:
    """Canonical postcode spelling: "d-10115" -> "10115", "1234ab" -> "1234 AB", "sw1a1aa" ->
    "SW1A 1AA"; anything unrecognised comes back stripped and upper-cased."""
    s = re.sub(r"\s+", " ", text.strip().upper())
    cc = (country or "").upper()
    if cc not in ("GB", "IE", "NL", "CA"):
        s = _POSTCODE_PREFIX.sub("", s)
    compact = s.replace(" ", "")
    if cc == "NL" and re.fullmatch(r"\d{4}[A-Z]{2}", compact):
        return f"{compact[:4]} {compact[4:]}"
    if cc in ("GB", "CA", "IE") and 5 <= len(compact) <= 7:
        return f"{compact[:-3]} {compact[-3:]}"
    if cc == "PT" and re.fullmatch(r"\d{7}", compact):
        return f"{compact[:4]}-{compact[4:]}"
    return s
