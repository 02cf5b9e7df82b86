from __future__ import annotations

from docintake.extraction.document import _addresses_by_name
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
