from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from docintake.extraction.identifiers import (
    country_from_ids,
    country_from_name,
    country_from_text,
    detect_currency,
    detect_language,
    find_emails,
    find_ibans,
    find_phones,
    find_tax_ids,
    normalize_phone,
    normalize_postcode,
)
from docintake.extraction.normalize import (
    DateMatch,
    find_amounts,
    find_dates,
    find_times,
    format_amount,
    guess_decimal_separator,
    infer_day_first,
    parse_amount,
)

# --- amounts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("1'234.56", "1234.56"),
        ("1.234.567", "1234567"),
        ("1,234,567.89", "1234567.89"),
        ("RM 4.40", "4.40"),
        ("RM4.40", "4.40"),
        ("$12", "12"),
        ("US$ 3.00", "3.00"),
        ("€ 5,-", "5"),
        ("5.--", "5"),
        ("EUR 1.234,00", "1234.00"),
        ("12,90 €", "12.90"),
        ("CHF 7.70", "7.70"),
        ("12.00-", "-12.00"),
        ("-12.00", "-12.00"),
        ("−3,50", "-3.50"),
        ("(12.00)", "-12.00"),
        ("RM -4.40", "-4.40"),
        ("-RM4.40", "-4.40"),
        ("4.4", "4.4"),
        ("1.234", "1.234"),
        ("12,5", "12.5"),
        ("0,125", "0.125"),
        ("1,234", "1234"),
        ("+7.00", "7.00"),
    ],
)
def test_parse_amount(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("1.234", ",", "1234"),
        ("1.234", ".", "1.234"),
        ("1,234", ",", "1.234"),
        ("1,234", ".", "1234"),
        ("0.125", ",", "0.125"),  # a leading zero cannot be a thousands group
        ("1234,567", None, "1234.567"),  # four digits before: not a thousands group either
    ],
)
def test_parse_amount_decimal_hint(text: str, hint: str | None, expected: str) -> None:
    assert parse_amount(text, hint) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "12/03/2020",
        "12.03.2020",
        "2020-03-12",
        "+49 30 1234567",
        "030 1234 5678",
        "1234567",
        "hello",
        "",
        "RM",
        "1,2,3",
        "1,234,56",
        "12 34",
        "Total 12.00",
        "6%",
    ],
)
def test_parse_amount_rejects(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1234.5", "1234.50"),
        ("12", "12.00"),
        ("0.125", "0.125"),
        ("0.1250", "0.125"),
        ("-5", "-5.00"),
        ("1E+3", "1000.00"),
    ],
)
def test_format_amount(value: str, expected: str) -> None:
    assert format_amount(Decimal(value)) == expected


def _values(text: str, decimal_hint: str | None = None, space_groups: bool = True) -> list[str]:
    return [format_amount(v) for _, _, v in find_amounts(text, decimal_hint, space_groups=space_groups)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Total RM15.90 cash 20.00 change 4.10", ["15.90", "20.00", "4.10"]),
        ("Date 22/12/2017 14:03 Total 12.00", ["12.00"]),
        ("Datum 22.12.2017 Summe 1.234,56", ["1234.56"]),
        ("Date: 5 Mar 2024 Total 8.00", ["8.00"]),
        ("Fecha 5 de marzo de 2024 Total 8,00", ["8.00"]),
        ("VAT 6% 0.90", ["0.90"]),
        ("MwSt 19 % 1,90", ["1.90"]),
        ("Tel: 030 1234 5678 Inv 1234567", []),
        ("Tel +60 3-2161 1234 Total 5.00", ["5.00"]),
        ("15.90€ and (3.00) and 4.00- and 5 EUR", ["15.90", "-3.00", "-4.00", "5.00"]),
        ("INV-001 A12 No.55 #77 2pcs", []),
        ("Total:12.00", ["12.00"]),
        ("Rabatt -10,00 EUR", ["-10.00"]),
        ("1 234,56 €", ["1234.56"]),
        ("2x3.50", ["2.00", "3.50"]),
        ("at 14h03", []),
        ("5 Mar 1985", []),
        ("Qty 2 Unit 1.5 Price 0.125", ["2.00", "1.50", "0.125"]),
    ],
)
def test_find_amounts(text: str, expected: list[str]) -> None:
    assert _values(text) == expected


def test_find_amounts_spans() -> None:
    text = "Sub (1.00) total RM15.90-"
    spans = [(text[s:e], v) for s, e, v in find_amounts(text)]
    assert spans == [("(1.00)", Decimal("-1.00")), ("15.90-", Decimal("-15.90"))]


def test_find_amounts_space_groups_off() -> None:
    text = "Widget 2 100,00 200,00"
    assert _values(text) == ["2100.00", "200.00"]
    assert _values(text, space_groups=False) == ["2.00", "100.00", "200.00"]


def test_find_amounts_uses_hint() -> None:
    assert _values("Summe 1.234", decimal_hint=",") == ["1234.00"]
    assert _values("Summe 1.234") == ["1.234"]


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Total 12,50 EUR", "MwSt 1,99"], ","),
        (["Total 12.50", "Date 12.03.20"], "."),
        (["1.234,567"], ","),
        (["nothing here 1,234"], None),
        (["Date 12.03.20"], None),
    ],
)
def test_guess_decimal_separator(texts: list[str], expected: str | None) -> None:
    assert guess_decimal_separator(texts) == expected


# --- dates and times -------------------------------------------------------------------------------

D = datetime.date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", D(2024, 3, 5)),
        ("2024/03/05", D(2024, 3, 5)),
        ("05/03/2024", D(2024, 3, 5)),
        ("05.03.2024", D(2024, 3, 5)),
        ("05-03-24", D(2024, 3, 5)),
        ("5/3/24", D(2024, 3, 5)),
        ("5/3/95", D(1995, 3, 5)),
        ("12/25/2024", D(2024, 12, 25)),
        ("5 Mar 2024", D(2024, 3, 5)),
        ("05-Mar-2024", D(2024, 3, 5)),
        ("15 DEC 2017", D(2017, 12, 15)),
        ("March 5, 2024", D(2024, 3, 5)),
        ("Mar 5 2024", D(2024, 3, 5)),
        ("Sept. 30th, 2023", D(2023, 9, 30)),
        ("Jul03'12", D(2012, 7, 3)),
        ("3rd of June 2023", D(2023, 6, 3)),
        ("5. März 2024", D(2024, 3, 5)),
        ("5. Marz 2024", D(2024, 3, 5)),
        ("12. Dezember 2023", D(2023, 12, 12)),
        ("5 de marzo de 2024", D(2024, 3, 5)),
        ("5 ene. 2024", D(2024, 1, 5)),
        ("5 mars 2024", D(2024, 3, 5)),
        ("1er janvier 2024", D(2024, 1, 1)),
        ("3 févr. 2024", D(2024, 2, 3)),
        ("3 fevr 2024", D(2024, 2, 3)),
        ("14 août 2024", D(2024, 8, 14)),
        ("5 maggio 2024", D(2024, 5, 5)),
        ("5 dic. 24", D(2024, 12, 5)),
        ("5 de março de 2024", D(2024, 3, 5)),
        ("5 outubro 2024", D(2024, 10, 5)),
        ("5 maart 2024", D(2024, 3, 5)),
        ("5 mei 2024", D(2024, 5, 5)),
        ("5 okt 2024", D(2024, 10, 5)),
    ],
)
def test_find_dates(text: str, expected: datetime.date) -> None:
    found = find_dates(f"Date: {text} ok")
    assert [d.value for d in found] == [expected]
    assert found[0].start == 6 and found[0].end == 6 + len(text)


@pytest.mark.parametrize(
    "text",
    [
        "20240305",
        "31/02/2024",
        "5 Mar 1985",
        "01/01/2101",
        "13/13/2024",
        "12.00",
        "Total 5 Mar 12.00",
        "1.234.567",
    ],
)
def test_find_dates_rejects(text: str) -> None:
    assert find_dates(text) == []


@pytest.mark.parametrize(
    ("text", "day_first", "expected", "ambiguous"),
    [
        ("05/03/2024", None, D(2024, 3, 5), True),
        ("05/03/2024", True, D(2024, 3, 5), True),
        ("05/03/2024", False, D(2024, 5, 3), True),
        ("25/03/2024", False, D(2024, 3, 25), False),  # month-first is impossible, day-first it is
        ("03/25/2024", None, D(2024, 3, 25), False),
        ("03/03/2024", None, D(2024, 3, 3), False),
        ("2024-03-05", False, D(2024, 3, 5), False),
    ],
)
def test_find_dates_order(
    text: str, day_first: bool | None, expected: datetime.date, ambiguous: bool
) -> None:
    assert find_dates(text, day_first) == [DateMatch(0, len(text), expected, ambiguous)]


def test_find_dates_several_in_order() -> None:
    found = find_dates("Issued 01.02.2024, due 3 March 2024")
    assert [d.value for d in found] == [D(2024, 2, 1), D(2024, 3, 3)]


@pytest.mark.parametrize(
    ("texts", "country", "language", "expected"),
    [
        (["Date 25/03/2024"], None, None, True),
        (["Date 03/25/2024"], None, None, False),
        (["03/25/2024", "25/03/2024", "26/03/2024"], "US", None, True),
        (["04/03/2024"], "US", None, False),
        (["04/03/2024"], "PH", None, False),
        (["04/03/2024"], "de", None, True),
        (["04/03/2024"], "CA", None, None),
        (["04/03/2024"], None, "en", None),
        (["04/03/2024"], None, "fr", True),
        ([], None, None, None),
    ],
)
def test_infer_day_first(
    texts: list[str], country: str | None, language: str | None, expected: bool | None
) -> None:
    assert infer_day_first(texts, country, language) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 14:03", ["14:03:00"]),
        ("at 2:03 PM", ["14:03:00"]),
        ("at 2:03pm", ["14:03:00"]),
        ("at 14:03:22", ["14:03:22"]),
        ("at 14h03", ["14:03:00"]),
        ("at 12:00 am", ["00:00:00"]),
        ("at 12:30 P.M.", ["12:30:00"]),
        ("at 9pm", ["21:00:00"]),
        ("Total 12.00 PM", []),
        ("at 25:00", []),
        ("at 10:75", []),
        ("Date 12/03/2024", []),
    ],
)
def test_find_times(text: str, expected: list[str]) -> None:
    assert [t for _, _, t in find_times(text)] == expected


def test_find_times_span() -> None:
    assert find_times("Time 2:03 PM.") == [(5, 12, "14:03:00")]


# --- currency and language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("Total RM 12.00 RM 3", None, "MYR"),
        ("Total € 12,00", None, "EUR"),
        ("Total 12,00 EUR", None, "EUR"),
        ("£ 5.00", None, "GBP"),
        ("$ 5", None, "USD"),
        ("$ 5", "CA", "CAD"),
        ("$ 5", "au", "AUD"),
        ("S$ 5.00", None, "SGD"),
        ("US$ 5.00", "CA", "USD"),
        ("CHF 12 EUR 3 CHF", None, "CHF"),
        ("Fr. 12.50", "CH", "CHF"),
        ("500 kr", "SE", "SEK"),
        ("500 kr", "DK", "DKK"),
        ("500 kr", None, None),
        ("12,00 zł", None, "PLN"),
        ("nothing", "DE", "EUR"),
        ("nothing", "GB", "GBP"),
        ("nothing", "MY", "MYR"),
        ("ALL ITEMS 12.00 TOP", None, None),
        ("PAYMENT 12.00", None, None),
    ],
)
def test_detect_currency(text: str, country: str | None, expected: str | None) -> None:
    assert detect_currency(text, country) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Invoice number, date and total amount due to the customer", "en"),
        ("Factura número fecha importe IVA base imponible", "es"),
        ("Facture numéro montant TVA TTC prix", "fr"),
        ("Rechnung Datum Betrag MwSt Gesamt", "de"),
        ("Fattura numero importo IVA imponibile scadenza", "it"),
        ("Fatura número valor IVA contribuinte NIF", "pt"),
        ("Factuur nummer bedrag BTW totaal te betalen", "nl"),
        # "de"/"en"/"a" are shared words: they must not tip Portuguese or Spanish pages to Dutch
        ("Gestão de projeto de software, horas de consultoria, data de emissão", "pt"),
        ("Servicios de consultoría de la empresa en el mes de marzo", "es"),
        ("Prestation de conseil en informatique, mars", "fr"),
        ("18 de noviembre de 2021, Gracias por su visita", "es"),
        ("Obrigado pela sua visita, 3 de março de 2024, troco", "pt"),
        ("Kassenbon Datum 16. Februar 2023 Summe", "de"),
        ("Scontrino data 3 maggio 2024 contanti resto", "it"),
        ("Kassabon datum 3 mei 2024 pin wisselgeld", "nl"),
        ("Ticket de caisse, espèces, rendu, merci", "fr"),
        # tax-code letters ("A", "E") are not the articles "a"/"e"
        (
            "Bread 1.50 A\nMilk 2.00 A\nCheese 3.00 A\nTOTAL 6.50\nCash 10.00 Change 3.50 Please come again",
            "en",
        ),
        ("de de de", None),  # shared words alone tie
        ("hello world", None),
        ("", None),
    ],
)
def test_detect_language(text: str, expected: str | None) -> None:
    assert detect_language(text) == expected


def test_detect_language_on_rendered_synthetic_documents() -> None:
    synthetic = pytest.importorskip("training.synthetic")
    wrong = []
    for lang in synthetic.LANGUAGES:
        for doc_type in ("invoice", "receipt"):
            for seed in range(4):
                doc = synthetic.generate(seed, doc_type=doc_type, language=lang)
                found = detect_language(synthetic.pdf_text(synthetic.render_pdf(doc, seed)))
                if found != lang:
                    wrong.append((lang, doc_type, seed, found))
    assert wrong == []


# --- identifiers and contacts -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IBAN: DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX", ["DE89370400440532013000"]),
        ("GB82 WEST 1234 5698 7654 32", ["GB82WEST12345698765432"]),
        ("pay to GB82WEST12345698765432.", ["GB82WEST12345698765432"]),
        ("DE89 3704 0044 0532 0130 01", []),  # wrong check digits
        ("DE12 and nothing else", []),
    ],
)
def test_find_ibans(text: str, expected: list[str]) -> None:
    assert [iban for _, _, iban in find_ibans(text)] == expected


def test_find_ibans_span() -> None:
    text = "IBAN DE89 3704 0044 0532 0130 00 BIC"
    [(start, end, _)] = find_ibans(text)
    assert text[start:end] == "DE89 3704 0044 0532 0130 00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("USt-IdNr.: DE 136 695 976 Total 12.00", [("DE136695976", "DE")]),
        ("USt-IdNr.: DE136695978", []),  # bad checksum
        ("VAT No: GB 980 7806 84", [("GB980780684", "GB")]),
        ("VAT No: GB 123 4567 89", []),
        ("UID CHE-116.281.710 MWST", [("CHE116281710", "CH")]),
        ("NL004495445B01, ATU13585627", [("NL004495445B01", "NL"), ("ATU13585627", "AT")]),
        ("NIF ESB58378431", [("ESB58378431", "ES")]),
        ("TVA FR40303265045", [("FR40303265045", "FR")]),
        ("AFM EL094259216", [("EL094259216", "GR")]),
        ("DESK 12345", []),
    ],
)
def test_find_tax_ids(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(tid, cc) for _, _, tid, cc in find_tax_ids(text)] == expected


def test_find_tax_ids_span() -> None:
    text = "VAT: DE 136 695 976, thanks"
    [(start, end, _, _)] = find_tax_ids(text)
    assert text[start:end] == "DE 136 695 976"


def test_find_emails() -> None:
    found = find_emails("Mail: info@acme-gmbh.de. or a.b+c@x.co.uk, not @handle")
    assert [e for _, _, e in found] == ["info@acme-gmbh.de", "a.b+c@x.co.uk"]
    assert found[0][:2] == (6, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tel: +49 (0)30 1234 5678", ["+493012345678"]),
        ("Tel 030 12345678", ["03012345678"]),
        ("Phone 555-123-4567", ["5551234567"]),
        ("Phone (555) 123-4567", ["5551234567"]),
        ("Fax 01.23.45.67.89", ["0123456789"]),
        ("+60 3-2161 1234", ["+60321611234"]),
        ("Invoice 1234567", []),
        ("Total 1.234.567,00", []),
        ("Date 12.03.2024", []),
        ("Total 12.50 Qty 3", []),
        ("Tel 12345", []),
    ],
)
def test_find_phones(text: str, expected: list[str]) -> None:
    assert [p for _, _, p in find_phones(text)] == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("069 3811039", "DE", "+49693811039"),
        ("0693811039", "DE", "+49693811039"),  # what find_phones returns
        ("030 / 1234567", "de", "+49301234567"),
        ("+49 (0)30 1234 5678", None, "+493012345678"),
        ("+49 (0)30 1234 5678", "FR", "+493012345678"),  # an international number keeps its own code
        ("0049 30 1234567", "DE", "+49301234567"),
        ("01 23 45 67 89", "FR", "+33123456789"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("020 123 4567", "NL", "+31201234567"),
        ("02 123 45 67", "BE", "+3221234567"),
        ("01 234 5678", "IE", "+35312345678"),
        ("0512 / 221875", "AT", "+43512221875"),
        ("03-2161 1234", "MY", "+60321611234"),
        ("02 12345678", "IT", "+390212345678"),  # Italy keeps the leading 0
        ("06 1 234 5678", "HU", "+3612345678"),  # Hungary dials "06"
        ("912 345 678", "ES", "+34912345678"),
        ("213 456 789", "PT", "+351213456789"),
        ("6131 4909", "SG", "+6561314909"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("1-212-555-0123", "US", "+12125550123"),
        ("0693811039", None, "0693811039"),  # no country: no code is made up
        ("0693811039", "XX", "0693811039"),
    ],
)
def test_normalize_phone(raw: str, country: str | None, expected: str) -> None:
    assert normalize_phone(raw, country) == expected


def test_normalize_phone_matches_generator_labels() -> None:
    synthetic = pytest.importorskip("training.synthetic")
    checked = 0
    for lang in synthetic.LANGUAGES:
        for seed in range(40):
            doc = synthetic.generate(seed, doc_type="invoice", language=lang)
            if "supplier_phone" in doc.fields:
                checked += 1
                assert (
                    normalize_phone(doc.printed["supplier_phone"], doc.country)
                    == doc.fields["supplier_phone"]
                )
    assert checked > 100


# --- countries -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Musterstr. 1, 10115 Berlin, Deutschland", "DE"),
        ("Berlin, Germany", "DE"),
        ("Lyon, Allemagne", "DE"),
        ("Paris, FRANCE", "FR"),
        ("Madrid, España", "ES"),
        ("Madrid, Espana", "ES"),
        ("Roma, Italia", "IT"),
        ("Lisboa, Portugal", "PT"),
        ("Amsterdam, Nederland", "NL"),
        ("Amsterdam, The Netherlands", "NL"),
        ("Brussel, België", "BE"),
        ("Bruxelles, Belgique", "BE"),
        ("Wien, Österreich", "AT"),
        ("Zürich, Schweiz", "CH"),
        ("Genève, Suisse", "CH"),
        ("London, United Kingdom", "GB"),
        ("London, UK", "GB"),
        ("Dublin, Ireland", "IE"),
        ("Austin, TX, USA", "US"),
        ("Austin, United States", "US"),
        ("Kuala Lumpur, Malaysia", "MY"),
        ("Singapore 018989", "SG"),
        ("our uk office", None),  # lower-case "uk" is not trusted
        ("VAT DE136695976", "DE"),
        ("IBAN GB82 WEST 1234 5698 7654 32", "GB"),
        ("nothing", None),
    ],
)
def test_country_from_text(text: str, expected: str | None) -> None:
    assert country_from_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Deutschland", "DE"),
        (" - USA - ", "US"),
        ("U.S.A.", "US"),
        ("EE. UU.", "US"),
        ("Países Baixos", "NL"),
        ("Verenigd Koninkrijk", "GB"),
        ("Oostenrijk", "AT"),
        ("Malásia", "MY"),
        ("Rue de France", None),  # a name inside a street is not the country
        ("Singapore 018989", None),
        ("uk", None),
        ("", None),
    ],
)
def test_country_from_name(text: str, expected: str | None) -> None:
    assert country_from_name(text) == expected


def test_country_from_ids_prefers_vat() -> None:
    assert country_from_ids("IBAN GB82 WEST 1234 5698 7654 32 VAT ATU13585627") == "AT"
    assert country_from_ids("IBAN DE89 3704 0044 0532 0130 00") == "DE"
    assert country_from_ids("DE136695978") is None


@pytest.mark.parametrize(
    ("text", "country", "expected"),
    [
        ("D-10115", "DE", "10115"),
        (" 75001 ", "FR", "75001"),
        ("1234ab", "NL", "1234 AB"),
        ("sw1a1aa", "GB", "SW1A 1AA"),
        ("1000001", "PT", "1000-001"),
        ("d02x285", "IE", "D02 X285"),
        ("D02 X285", "IE", "D02 X285"),
        ("abc", None, "ABC"),
    ],
)
def test_normalize_postcode(text: str, country: str | None, expected: str) -> None:
    assert normalize_postcode(text, country) == expected


def test_labelled_ids_with_wrong_check_digits_are_still_found() -> None:
    # Sample documents (and typos) print ids whose check digits fail; a label says what they are,
    # validation then reports the failed check.
    assert find_tax_ids("USt-IdNr. DE123456789") == []
    assert [compact for _, _, compact, _ in find_tax_ids("USt-IdNr. DE123456789", labelled=True)] == [
        "DE123456789"
    ]
    assert find_tax_ids("DE12345678", labelled=True) == []  # too short for a German VAT id
    assert find_ibans("DE75123456780000001234") == []
    assert [iban for _, _, iban in find_ibans("DE75123456780000001234, BIC X", labelled=True)] == [
        "DE75123456780000001234"
    ]
    assert find_ibans("DE7512345678000000123", labelled=True) == []  # one digit short


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12-06-201817:46:16", datetime.date(2018, 6, 12)),  # OCR glued the time to the date
        ("27/06/185:02:32", datetime.date(2018, 6, 27)),
        ("23/03/20183:13:19", datetime.date(2018, 3, 23)),
    ],
)
def test_a_date_with_its_time_glued_on_is_still_a_date(text: str, expected: datetime.date) -> None:
    assert [found.value for found in find_dates(text, True)] == [expected]


def test_a_longer_number_is_not_a_date_with_a_time() -> None:
    assert find_dates("3/4/2012345", True) == []
