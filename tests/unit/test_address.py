from __future__ import annotations

import pytest

from docintake.extraction.address import AddressParts, split_address


def parts(street: str | None, postcode: str | None, city: str | None, country: str | None) -> AddressParts:
    return AddressParts(street=street, postcode=postcode, city=city, country=country)


@pytest.mark.parametrize(
    ("lines", "country", "expected"),
    [
        # postcode before the city
        (["Musterstraße 12", "10115 Berlin"], "DE", parts("Musterstraße 12", "10115", "Berlin", "DE")),
        (["Kirchstr. 60", "D-48053 Nürnberg"], None, parts("Kirchstr. 60", "48053", "Nürnberg", "DE")),
        (
            ["12 rue de la Paix", "F-75001 PARIS CEDEX 08"],
            None,
            parts("12 rue de la Paix", "75001", "PARIS", "FR"),
        ),
        (
            ["Calle Mayor, 5", "28013 Madrid", "España"],
            None,
            parts("Calle Mayor, 5", "28013", "Madrid", "ES"),
        ),
        (["Via Roma 1", "20121 Milano (MI)"], "IT", parts("Via Roma 1", "20121", "Milano", "IT")),
        (["Lindenstr. 159", "2350 Graz"], "AT", parts("Lindenstr. 159", "2350", "Graz", "AT")),
        (["Rue Neuve 3", "1000 Bruxelles"], "BE", parts("Rue Neuve 3", "1000", "Bruxelles", "BE")),
        (
            ["Bahnhofstrasse 1", "8001 Zürich", "Schweiz"],
            None,
            parts("Bahnhofstrasse 1", "8001", "Zürich", "CH"),
        ),
        (["Rua Nova, 10", "1247-941 Lisboa"], None, parts("Rua Nova, 10", "1247-941", "Lisboa", "PT")),
        (
            ["Keizersgracht 1", "1015 CJ Amsterdam"],
            None,
            parts("Keizersgracht 1", "1015 CJ", "Amsterdam", "NL"),
        ),
        (
            ["Keizersgracht 1", "1015CJ Amsterdam"],
            "NL",
            parts("Keizersgracht 1", "1015 CJ", "Amsterdam", "NL"),
        ),
        (
            ["No. 78, Jalan Perdana", "50450 Kuala Lumpur"],
            "MY",
            parts("No. 78, Jalan Perdana", "50450", "Kuala Lumpur", "MY"),
        ),
        # postcode after the city, or on a line of its own
        (
            ["10 Downing Street", "London SW1A 2AA"],
            "GB",
            parts("10 Downing Street", "SW1A 2AA", "London", "GB"),
        ),
        (
            ["45 Park Avenue", "Birmingham", "B1 1AA"],
            "GB",
            parts("45 Park Avenue", "B1 1AA", "Birmingham", "GB"),
        ),
        (
            ["45 Park Avenue", "Birmingham", "B11AA"],
            None,
            parts("45 Park Avenue", "B1 1AA", "Birmingham", "GB"),
        ),
        (
            ["1 Grand Canal Square", "Dublin", "D02 X285", "Ireland"],
            None,
            parts("1 Grand Canal Square", "D02 X285", "Dublin", "IE"),
        ),
        (
            ["176 Changi Road #26-58", "Singapore 708139"],
            None,
            parts("176 Changi Road #26-58", "708139", "Singapore", "SG"),
        ),
        (["500 Main St", "Austin, TX 78701"], "US", parts("500 Main St", "78701", "Austin", "US")),
        (
            ["500 Main St", "Austin, TX 78701-1234", "USA"],
            None,
            parts("500 Main St", "78701-1234", "Austin", "US"),
        ),
    ],
)
def test_split_address(lines: list[str], country: str | None, expected: AddressParts) -> None:
    assert split_address(lines, country) == expected


def test_one_line_address() -> None:
    assert split_address(["Plaza del Río, 95 · 16805 Granada"], "ES") == parts(
        "Plaza del Río, 95", "16805", "Granada", "ES"
    )
    assert split_address(["Musterstr. 1, 10115 Berlin, Deutschland"], None) == parts(
        "Musterstr. 1", "10115", "Berlin", "DE"
    )
    assert split_address(["500 Main St, Austin, TX 78701"], None) == parts(
        "500 Main St", "78701", "Austin", "US"
    )


def test_name_extra_and_contact_lines_are_tolerated() -> None:
    lines = ["Acme Werkzeug GmbH", "Gewerbepark 6", "Birkenstraße 54", "78990 Stuttgart", "Deutschland"]
    lines += ["Tel. +49 711 123456", "info@acme.de"]
    assert split_address(lines, None) == parts("Birkenstraße 54", "78990", "Stuttgart", "DE")
    # a building line after the street is not the street
    assert split_address(["Hauptstraße 5", "2. Stock", "10115 Berlin"], "DE").street == "Hauptstraße 5"
    # a lone extra line is still better than the company name
    assert split_address(["Acme GmbH", "Gewerbepark 6", "10115 Berlin"], "DE").street == "Gewerbepark 6"
    # an Austrian phone number has four-digit groups: it is not a postcode
    assert split_address(["Bergring 110", "8284 Innsbruck", "Fon 0512 / 221875"], "AT").postcode == "8284"


def test_country_line_wins_over_the_given_country() -> None:
    # a foreign supplier: the block's own country decides the postcode form
    assert split_address(["Keizersgracht 1", "1015 CJ Amsterdam", "Nederland"], "DE") == parts(
        "Keizersgracht 1", "1015 CJ", "Amsterdam", "NL"
    )
    # no country line, but the given country's form does not fit: the form decides
    assert split_address(["Rua Nova, 10", "1247-941 Lisboa"], "ES").country == "PT"


def test_shared_forms_without_a_country_leave_it_unknown() -> None:
    # five digits are German, French, Spanish, Italian, ...: no guess
    assert split_address(["Hauptstraße 5", "10115 Berlin"], None) == parts(
        "Hauptstraße 5", "10115", "Berlin", None
    )


def test_unreadable_blocks() -> None:
    assert split_address([], "DE") == parts(None, None, None, "DE")
    assert split_address(["Acme GmbH", "somewhere"], None) == parts(None, None, None, None)
    assert split_address(["Hauptstraße 5"], "DE") == parts("Hauptstraße 5", None, None, "DE")


def test_generated_addresses() -> None:
    synthetic = pytest.importorskip("training.synthetic")
    wrong = []
    checked = 0
    for lang in synthetic.LANGUAGES:
        for seed in range(30):
            doc = synthetic.generate(seed, doc_type="invoice", language=lang)
            if "supplier_address" not in doc.printed:
                continue
            lines = [doc.fields["supplier_name"], *doc.printed["supplier_address"].split("\n")]
            expected = parts(
                doc.fields["supplier_street"],
                doc.fields["supplier_postcode"],
                doc.fields["supplier_city"],
                doc.fields.get("supplier_country") or doc.country,
            )
            checked += 1
            got = split_address(lines, doc.country)
            if got != expected:
                wrong.append((lines, got, expected))
    assert checked > 150
    assert wrong == []


def test_letterhead_line_with_middle_dots_and_a_country_prefixed_postcode() -> None:
    assert split_address(["Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld · Deutschland"], None) == parts(
        "Flugzeugallee 17", "12345", "Papierfeld", "DE"
    )
    assert split_address(["Bei Spiel GmbH ● Ecke 12 ● 12345 Stadthausen ● Germany"], None) == parts(
        "Ecke 12", "12345", "Stadthausen", "DE"
    )
    assert split_address(["Highway 1", "BE-9000 Ghent"], None) == parts("Highway 1", "9000", "Ghent", "BE")
