from __future__ import annotations

from docintake.extraction.document import _address_parts, _addresses_by_name
from docintake.extraction.model import Field


def _field(value: str) -> Field:
    return Field(value=value, text=value.replace(", ", "\n"), confidence=0.8)


def test_a_letterhead_address_drops_the_name_printed_before_it() -> None:
    fields = {
        "supplier_name": _field("Kraxi GmbH"),
        "supplier_address": Field("Kraxi GmbH · Flugzeugallee 17 · 12345 Papierfeld", "", 0.8),
    }
    _addresses_by_name(fields)
    assert fields["supplier_address"].value == "Flugzeugallee 17 · 12345 Papierfeld"


def test_a_block_headed_by_the_suppliers_name_is_the_suppliers_address() -> None:
    fields = {
        "supplier_name": _field("Das Company"),
        "customer_address": _field("Das Company, ZUG Business Center, Highway 1, BE-9000 Ghent"),
    }
    _addresses_by_name(fields)
    assert "customer_address" not in fields
    assert fields["supplier_address"].value == "ZUG Business Center, Highway 1, BE-9000 Ghent"


def test_the_customers_own_block_stays_the_customers() -> None:
    fields = {
        "supplier_name": _field("Das Company"),
        "supplier_address": _field("Highway 1, BE-9000 Ghent"),
        "customer_address": _field("Steel, Laura, 429 Seventh Av., BE-9000 Ghent"),
    }
    _addresses_by_name(fields)
    assert fields["customer_address"].value == "Steel, Laura, 429 Seventh Av., BE-9000 Ghent"
    assert fields["supplier_address"].value == "Highway 1, BE-9000 Ghent"


def test_a_footer_line_with_the_name_before_the_street_gives_the_street_alone() -> None:
    fields = {
        "supplier_name": _field("Fischer & Hoffmann GmbH & Co. KG"),
        "supplier_address": Field(
            "Fischer & Hoffmann GmbH & Co. KG Hafenring 15, 66041 Stuttgart",
            "Fischer & Hoffmann GmbH & Co. KG Hafenring 15\n66041 Stuttgart",
            0.8,
        ),
    }
    _addresses_by_name(fields)
    _address_parts(fields["supplier_address"], fields, "DE")
    assert fields["supplier_address"].value == "Hafenring 15, 66041 Stuttgart"
    assert fields["supplier_street"].value == "Hafenring 15"
    assert fields["supplier_city"].value == "Stuttgart"
