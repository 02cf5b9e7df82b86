"""What a document's text says about its origin: currency, language, country, tax ids, IBANs,
e-mail addresses and phone numbers.

These are recognised by their form (check digits, ISO code lists, symbols, stopwords), not by
position, so they are plain functions over text like ``normalize``; the extractor decides which
occurrence belongs to the supplier. IBANs and VAT numbers are only reported when python-stdnum
accepts their check digits, which makes them near-certain evidence of the country too.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from stdnum import iban as stdnum_iban
from stdnum.ch import uid as ch_uid
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.gb import vat as gb_vat

from docintake.extraction.normalize import CURRENCY_CODES, find_dates

# --- currency and language ---------------------------------------------------------------------

# Real ISO 4217 codes that invoices use; words that are also codes in upper case ("ALL", "TOP",
# "CUP") are left out because receipts shout them.
_ISO_CODES = CURRENCY_CODES - {"PEN"}  # "PEN" is a word receipts print in capitals
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
    "en": "the and of to for with from your our this is are by on at in invoice total amount date due tax vat "
    "payment bill please thank you qty quantity description price subtotal number receipt customer balance "
    "paid unit item items cash change card account bank order delivery ship sold discount net terms days "
    "supplier phone street road till rate gross come again visit thanks statement period opening closing "
    "credit debit withdrawals deposits transfer interest january february march april may june july august september october "
    "november december",
    "es": "el la los las del y que en por para con su un una al de a factura fecha importe cantidad precio iva base "
    "imponible cliente descripción vencimiento pago gracias número nº forma ticket efectivo cambio tipo cuota "
    "cajero caja artículo artículos concepto visita pagar transferencia días entrega pedido albarán proveedor "
    "teléfono dirección banco datos bancarios descuento portes gastos envío simplificada unidad neto calle avenida extracto cuenta titular periodo saldo cargo abono debe haber "
    "plaza enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "fr": "le la les des du et pour avec sur au aux un une de en par facture montant quantité prix tva ttc ht client "
    "échéance paiement merci numéro désignation règlement date ticket caisse espèces rendu carte articles article "
    "remise livraison commande fournisseur adresse téléphone tél banque coordonnées bancaires jours net payer reste "
    "votre notre vos nos réception rue avenue boulevard relevé compte titulaire période solde débit crédit virement "
    "prélèvement opération libellé valeur janvier février mars avril mai juin juillet août "
    "septembre octobre novembre décembre",
    "de": "der die das und mit für von zu im am bei auf ihre ihr rechnung datum betrag menge preis mwst ust netto "
    "brutto summe gesamt kunde zahlbar bitte vielen dank nr steuer zahlung bis gesamtbetrag einzelpreis kassenbon "
    "beleg quittung bar zurück rückgeld gegeben kartenzahlung tage tagen ohne abzug lieferschein lieferdatum "
    "bestellung bankverbindung telefon straße str strasse rabatt artikel anzahl zwischensumme einkauf kasse zeit uhrzeit bediener belegnummer bank kontoauszug auszug zeitraum "
    "buchungstag buchungstext soll haben wert valuta währung kontoinhaber gutschrift belastung erstellt zinsen "
    "vorgang lastschrift überweisung januar "
    "februar märz april mai juni juli august september oktober november dezember",
    "it": "il lo la gli le della delle del dei di e per con da al alla fattura data importo quantità prezzo iva "
    "imponibile cliente scadenza pagamento grazie numero totale descrizione scontrino documento commerciale "
    "contanti resto pagato articoli articolo sconto consegna ordine fornitore telefono banca coordinate bancarie "
    "giorni via piazza corso complessivo imposta aliquota estratto conto periodo causale dare avere accrediti "
    "addebiti valuta saldo bonifico gennaio febbraio marzo aprile maggio giugno luglio "
    "agosto settembre ottobre novembre dicembre",
    "pt": "o os a as da do das dos e em no na nos nas para com um uma ao pelo pela de fatura factura data valor "
    "quantidade preço iva cliente vencimento pagamento obrigado obrigada número nif contribuinte descrição recibo "
    "talão troco dinheiro numerário multibanco artigos artigo desconto entrega encomenda fornecedor telefone "
    "morada banco dados bancários dias rua avenida praça travessa pagar taxa tributável ilíquido líquido sua "
    "visita extrato conta titular período saldo débito crédito movimento descritivo transferência janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "nl": "de het een en van voor met op te in is uw aan bij factuur datum bedrag aantal prijs btw klant vervaldatum "
    "betaling bedankt nummer totaal omschrijving betalen kassabon bon contant pin wisselgeld terug artikelen "
    "korting levering bestelling leverancier telefoon bankgegevens dagen straat laan plein weg excl incl kassière kassa bonnummer bank afschrift bankafschrift rekeninghouder "
    "periode af bij valuta saldo mededeling overschrijving rente "
    "januari februari maart april mei juni juli augustus september oktober november december",
}


def _fold(word: str) -> str:
    """``word`` without diacritics: documents print "numero" for "número" as often as not."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


_LANGUAGE_SETS = {
    lang: {w for word in words.split() for w in (word, _fold(word))}
    for lang, words in _LANGUAGE_WORDS.items()
}
# A word counts 1/n for each of the n languages that use it: "de" (es/fr/pt/nl) says little, "fatura"
# (pt) a lot. Counting it for one language only tipped Portuguese and Spanish pages to Dutch.
_LANGUAGE_WEIGHTS = {
    word: [(lang, 1 / len(langs)) for lang in langs]
    for word in set().union(*_LANGUAGE_SETS.values())
    if (langs := [lang for lang, words in _LANGUAGE_SETS.items() if word in words])
}


def detect_language(text: str) -> str | None:
    """ISO 639-1 code among en/es/fr/de/it/pt/nl from stopwords, month names and invoice/receipt
    vocabulary, each word weighted by how many of the languages use it; ``None`` with fewer than
    three words of the winner's or a tie, rather than a guess."""
    scores: dict[str, float] = {}
    hits = Counter[str]()
    for word in re.findall(r"[^\W\d_]+", text):
        if len(word) == 1 and word.isupper():
            continue  # tax-code letters ("4,20 A") and "E-mail", not the article "a" or "e"
        for lang, weight in _LANGUAGE_WEIGHTS.get(word.lower(), ()):
            scores[lang] = scores.get(lang, 0.0) + weight
            hits[lang] += 1
    ranked = sorted(scores.items(), key=lambda item: -item[1])[:2]
    if not ranked or hits[ranked[0][0]] < 3:
        return None
    if len(ranked) > 1 and abs(ranked[1][1] - ranked[0][1]) < 1e-9:
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


def find_ibans(text: str, *, labelled: bool = False) -> list[tuple[int, int, str]]:
    """IBANs with a valid checksum, printed compact or in groups, as ``(start, end, compact)``.

    ``labelled``: "IBAN" is printed with the text, so a number of its country's IBAN length and
    form counts even with wrong check digits (a typo, or a sample's "DE75123456780000001234"):
    it is reported, and validation then flags its check digits."""
    out: list[tuple[int, int, str]] = []
    for m in re.finditer(r"(?<![A-Z0-9])[A-Z]{2} ?\d{2}", text):
        if out and m.start() < out[-1][1]:
            continue
        for end, compact in _prefix_cuts(text, m.start(), 34):
            if len(compact) >= 15 and _iban_form(compact, checksum=not labelled):
                out.append((m.start(), end, compact))
                break
    return out


def _iban_form(compact: str, *, checksum: bool) -> bool:
    if stdnum_iban.is_valid(compact):
        return True
    if checksum:
        return False
    # Right country, length and structure, wrong check digits: valid once they are recomputed.
    return stdnum_iban.is_valid(compact[:2] + stdnum_iban.calc_check_digits(compact) + compact[4:])


_VAT_PREFIX = re.compile(
    r"(?<![A-Z0-9])(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI"
    r"|GB|CHE)(?=[ \-.]?[0-9A-Z])"
)


def _vat_valid(compact: str, *, checksum: bool = True) -> str | None:
    """Country (ISO 3166) of a valid prefixed VAT number, else ``None``. With ``checksum=False``
    a number of the right form whose check digits are wrong counts too."""
    module = ch_uid if compact.startswith("CHE") else gb_vat if compact.startswith("GB") else eu_vat
    try:
        module.validate(compact)  # the CHE UID: "MWST"/"TVA"/"IVA" after it is a separate chunk
    except InvalidChecksum:
        if checksum:
            return None
    except ValidationError:
        return None
    return {"EL": "GR", "XI": "GB"}.get(compact[:2], compact[:2])


def find_tax_ids(text: str, *, labelled: bool = False) -> list[tuple[int, int, str, str | None]]:
    """Country-prefixed VAT numbers whose check digits are right ("DE 136 695 976",
    "CHE-116.281.710 MWST"), as ``(start, end, compact id, ISO country)``.

    ``labelled``: a VAT label is printed with the text ("USt-IdNr.", "VAT no"), so a number of the
    right form is the tax id even with wrong check digits (a typo, or a sample document's
    "DE123456789"): it is reported, and validation then flags its check digits."""
    out: list[tuple[int, int, str, str | None]] = []
    for m in _VAT_PREFIX.finditer(text):
        if out and m.start() < out[-1][1]:
            continue
        for end, compact in _prefix_cuts(text, m.start(), 16):
            cc = _vat_valid(compact, checksum=not labelled)
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


# Country calling codes, and the trunk prefix national numbers start with that is dropped after
# the country code. Italy keeps its leading "0" ("+39 02 ..."); Spain, Portugal, Singapore, Poland,
# Denmark, Luxembourg and others have none; in the NANP (US, CA) the trunk is a "1".
_CALLING_CODES = {
    "DE": "49",
    "AT": "43",
    "CH": "41",
    "LI": "423",
    "FR": "33",
    "BE": "32",
    "NL": "31",
    "LU": "352",
}
_CALLING_CODES |= {"GB": "44", "IE": "353", "IT": "39", "SM": "378", "VA": "39", "ES": "34", "PT": "351"}
_CALLING_CODES |= {"DK": "45", "SE": "46", "NO": "47", "FI": "358", "PL": "48", "CZ": "420", "SK": "421"}
_CALLING_CODES |= {"HU": "36", "RO": "40", "BG": "359", "GR": "30", "HR": "385", "SI": "386", "EE": "372"}
_CALLING_CODES |= {"LV": "371", "LT": "370", "MT": "356", "CY": "357", "US": "1", "CA": "1", "MY": "60"}
_CALLING_CODES |= {"SG": "65", "AU": "61", "NZ": "64", "IN": "91", "CN": "86", "JP": "81", "HK": "852"}
_CALLING_CODES |= {"MX": "52", "BR": "55", "ZA": "27", "TR": "90", "AE": "971", "ID": "62", "TH": "66"}
_CALLING_CODES |= {"PH": "63"}
_TRUNK_ZERO_COUNTRIES = "DE AT CH FR BE NL GB IE SE FI RO BG HR SI SK MY AU NZ IN CN JP ZA TR AE ID TH PH"
_TRUNK = dict.fromkeys(_TRUNK_ZERO_COUNTRIES.split(), "0") | {"HU": "06"}


def normalize_phone(raw: str, country: str | None) -> str:
    """E.164 form ("+49693811039") of a printed phone number: an international "+"/"00" number
    keeps its own country code (a "(0)" trunk hint inside it is dropped), a national one gets the
    calling code of ``country`` after its trunk prefix is removed where the country dials one. With
    no (or an unknown) country a national number comes back as its digits, since guessing the
    country code would make up digits."""
    s = raw.strip()
    international = s.startswith("+") or s.startswith("00")
    if international:
        s = s.replace("(0)", "")
    digits = re.sub(r"\D", "", s)
    if s.startswith("00"):
        digits = digits[2:]
    if international:
        return "+" + digits
    cc = (country or "").upper()
    code = _CALLING_CODES.get(cc)
    if code is None or not digits:
        return digits
    if code == "1":  # NANP: an 11-digit number starting with the trunk "1"
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
    elif cc in _TRUNK and digits.startswith(_TRUNK[cc]):
        digits = digits[len(_TRUNK[cc]) :]
    return "+" + code + digits


# --- countries -------------------------------------------------------------------------------------

_COUNTRY_NAMES = {
    "DE": "germany deutschland allemagne alemania germania alemanha duitsland",
    "ES": "spain españa espana espagne spanien spagna espanha spanje",
    "FR": "france frankreich francia frança franca frankrijk",
    "IT": "italy italia italie italien itália italië",
    "PT": "portugal portogallo portugali",
    "NL": "netherlands nederland the_netherlands pays-bas niederlande países_bajos países_baixos paesi_bassi holland",
    "BE": "belgium belgië belgie belgique belgien bélgica belgica belgio",
    "AT": "austria österreich osterreich oesterreich autriche áustria oostenrijk",
    "CH": "switzerland schweiz suisse svizzera suiza suíça suica zwitserland",
    "GB": "united_kingdom uk great_britain england scotland wales royaume-uni reino_unido "
    "vereinigtes_königreich regno_unito verenigd_koninkrijk",
    "IE": "ireland irlanda irlande irland ierland éire eire",
    "US": "united_states usa u.s.a. united_states_of_america états-unis etats-unis estados_unidos ee._uu. eua "
    "stati_uniti verenigde_staten",
    "LU": "luxembourg luxemburg lussemburgo luxemburgo",
    "DK": "denmark danmark dänemark danemark dinamarca",
    "SE": "sweden sverige schweden suède suede suecia svezia",
    "NO": "norway norge norwegen norvège noruega",
    "FI": "finland suomi finnland finlande finlandia",
    "PL": "poland polska polen pologne polonia",
    "CZ": "czech_republic czechia česko tschechien",
    "GR": "greece griechenland grèce grecia grécia",
    "MY": "malaysia malasia malaisie malesia malásia maleisië",
    "SG": "singapore singapur singapour singapura",
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


def country_from_name(text: str) -> str | None:
    """ISO 3166 alpha-2 when ``text`` is nothing but a country name ("Deutschland", "- USA -"), the
    way an address block's last line is; ``None`` for anything else, so "Rue de France" is not
    France."""
    m = _COUNTRY_RE.fullmatch(text.strip(" \t,.;:-–·|()"))
    if m is None and text.strip().endswith("."):  # "U.S.A." keeps its last dot
        m = _COUNTRY_RE.fullmatch(text.strip(" \t,;:-–·|()"))
    if m is None:
        return None
    name = m.group(1)
    if name.lower() in _UPPER_ONLY and not name.isupper():
        return None
    return _COUNTRY_BY_NAME[name.lower()]


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
    "SW1A 1AA", "d02x285" -> "D02 X285"; anything unrecognised comes back stripped and upper-cased."""
    s = re.sub(r"\s+", " ", text.strip().upper())
    cc = (country or "").upper()
    if cc not in ("GB", "IE", "NL", "CA"):
        s = _POSTCODE_PREFIX.sub("", s)
    compact = s.replace(" ", "")
    if cc == "NL" and re.fullmatch(r"\d{4}[A-Z]{2}", compact):
        return f"{compact[:4]} {compact[4:]}"
    if cc == "IE" and re.fullmatch(r"[A-Z0-9]{3}[A-Z0-9]{4}", compact):  # Eircode: routing key + 4
        return f"{compact[:3]} {compact[3:]}"
    if cc in ("GB", "CA") and 5 <= len(compact) <= 7:
        return f"{compact[:-3]} {compact[-3:]}"
    if cc == "PT" and re.fullmatch(r"\d{7}", compact):
        return f"{compact[:4]}-{compact[4:]}"
    return s
