from __future__ import annotations

import pytest

from docintake.extraction.names import clean_name


@pytest.mark.parametrize(
    ("read", "name"),
    [
        ("GARDEN1A BAKERIES (KL)SDN BHD", "GARDENIA BAKERIES (KL) SDN BHD"),
        ("YONG S0ON FATT S/B", "YONG SOON FATT S/B"),
        (
            "AIK HUAT HARDWARE ENTERPRISE(SETIA ALAM) SDN BHD",
            "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD",
        ),
        ("BEMED (SP} SDN.  BHD.", "BEMED (SP) SDN. BHD."),
        # numbers that belong to the name stay
        ("7ELEVEN MALAYSIA", "7ELEVEN MALAYSIA"),
        ("3M (M) SDN BHD", "3M (M) SDN BHD"),
        ("A1 STORE", "A1 STORE"),
        ("STUDIO 54 B.V.", "STUDIO 54 B.V."),
        ("Café 1900", "Café 1900"),
    ],
)
def test_ocr_slips_in_names_are_undone(read: str, name: str) -> None:
    assert clean_name(read) == name
