"""Minimal PDFs with a real text layer (Helvetica), written by hand: no PDF-writing dependency."""

from __future__ import annotations

A4 = (595, 842)

# A one-page German invoice, as text lines: supplier, number, date, one item and the totals.
GERMAN_INVOICE = [
    "Kraxi GmbH",
    "Flugzeugallee 17, 12345 Papierfeld",
    "",
    "Rechnung",
    "Rechnungsnummer: 2024-0017",
    "Rechnungsdatum: 05.03.2024",
    "",
    "Pos. Beschreibung Menge Preis Betrag",
    "1 Beratung 10 100,00 1.000,00",
    "",
    "Nettobetrag 1.000,00",
    "zzgl. 19% MwSt. 190,00",
    "Rechnungsbetrag 1.190,00",
]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(pages: list[list[str]], size: tuple[int, int] = A4, font_size: int = 11) -> bytes:
    """One page per list of lines, drawn top-down from the top-left margin."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    parent = add(b"")
    kids = []
    width, height = size
    for lines in pages:
        stream = "".join(
            f"BT /F1 {font_size} Tf 56 {height - 70 - i * (font_size + 5)} Td ({_escape(line)}) Tj ET\n"
            for i, line in enumerate(lines)
        ).encode("cp1252", "replace")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                f"<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 {width} {height}] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {content} 0 R >>".encode()
            )
        )
    refs = " ".join(f"{kid} 0 R" for kid in kids)
    objects[parent - 1] = f"<< /Type /Pages /Kids [{refs}] /Count {len(kids)} >>".encode()
    catalog = add(f"<< /Type /Catalog /Pages {parent} 0 R >>".encode())
    return serialize(objects, catalog)


def serialize(objects: list[bytes], catalog: int) -> bytes:
    """Objects (numbered from 1 in list order) with their cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        catalog,
        xref,
    )
    return bytes(out)
