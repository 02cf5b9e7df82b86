"""Golden-file tests: whole documents through the real pipeline, compared with frozen results.

Each case generates a file with the synthetic document generator (``training.synthetic``: exact
ground truth, reproducible from a seed), runs it through ``docintake.local.extract_one`` and
projects the result onto what matters for a reader of the output: per document the page range,
type, language, scalar field values, line items, tax lines and validation statuses. That
projection must equal ``tests/golden/<case>.json`` exactly, so any change in extraction shows up
as a precise list of differences. After a deliberate change (a retrained model, a better rule),
refresh the files and review their diff::

    .venv/bin/pytest tests/test_golden.py --update-goldens

The goldens alone would only freeze whatever the code did when they were written, mistakes
included. So every case also has a *must-be-right* set, checked against the generator's ground
truth (``SyntheticDocument.fields``) in both modes, ``--update-goldens`` included: the page
ranges of the split, and per document the type and the listed fields (for text-layer invoices
also the language). A refresh cannot bless a regression in those.

How the seeds were chosen: for each case, seeds 0..99 (0..39 for scans, 0..59 for receipts,
0..24 for the multi-document PDF) were run through the pipeline in a throwaway script, and the
case uses a seed where the pipeline got the must-be-right set right at the time of writing —
the first such seed with one page and at least three line items for the text-layer invoices, a
short document for the scans (to keep OCR time down). Everything else in a golden freezes the
behaviour at the time of writing, right or wrong, so that changes are visible, not endorsed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from docintake.local import extract_one
from training.synthetic import (
    SyntheticDocument,
    generate,
    layout_family,
    page_count,
    pdf_text,
    render_image,
    render_multi_pdf_with_ranges,
    render_pdf,
)

GOLDEN_DIR = Path(__file__).parent / "golden"
ITEM_KEYS = ("description", "quantity", "unit_price", "amount")
TAX_KEYS = ("rate", "base_amount", "tax_amount")
# must-be-right for text-layer invoices; "type" and "language" are compared with the generator's
# doc_type and language, the others with its field labels
TEXT_INVOICE_MUST = ("type", "language", "total_amount", "issue_date", "invoice_number", "currency")
SCAN_MUST = ("type", "total_amount", "issue_date")


@dataclass
class Built:
    """A generated input file and what the pipeline should find in it."""

    path: Path
    docs: list[SyntheticDocument]
    ranges: list[tuple[int, int]]  # each document's (first, last) page, 1-based
    wrapped: list[str] = field(default_factory=list)  # descriptions printed on 2+ lines


@dataclass(frozen=True)
class Case:
    name: str
    recipe: str  # how the input is made, stored in the golden for readers
    build: Callable[[Path], Built]
    must: tuple[str, ...]
    mode: str = "speed"


# -- inputs ------------------------------------------------------------------------------------


def text_pdf(language: str, seed: int, doc_type: str = "invoice") -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        doc = generate(seed, doc_type=doc_type, language=language)
        pdf = render_pdf(doc, seed)
        path = tmp / f"{doc_type}-{language}-{seed}.pdf"
        path.write_bytes(pdf)
        return Built(path, [doc], [(1, page_count(pdf))])

    return build


def till_receipt(language: str, seed: int) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        doc = generate(seed, doc_type="receipt", language=language)
        assert layout_family(doc, seed) == "till", "the receipt case must use the till layout"
        return text_pdf(language, seed, "receipt")(tmp)

    return build


def scan(language: str, seed: int, *, dpi: int, rotate: int = 0) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        doc = generate(seed, doc_type="invoice", language=language)
        assert page_count(render_pdf(doc, seed)) == 1, "a scan case must be one page (one PNG)"
        path = tmp / f"scan-{language}-{seed}-r{rotate}.png"
        path.write_bytes(render_image(doc, seed, dpi=dpi, rotate=rotate, noise=True))
        return Built(path, [doc], [(1, 1)])

    return build


def multi_pdf(seed: int, parts: list[tuple[str, int]]) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        docs = [generate(s, doc_type="invoice", language=lang) for lang, s in parts]
        pdf, ranges = render_multi_pdf_with_ranges(docs, seed)
        path = tmp / f"multi-{seed}.pdf"
        path.write_bytes(pdf)
        return Built(path, docs, ranges)

    return build


def wrapped_pdf(language: str, seed: int) -> Callable[[Path], Built]:
    def build(tmp: Path) -> Built:
        built = text_pdf(language, seed)(tmp)
        lines = pdf_text(built.path.read_bytes()).splitlines()
        built.wrapped = [
            item["description"]
            for item in built.docs[0].line_items
            if item["description"] and not any(item["description"] in line for line in lines)
        ]
        assert built.wrapped, "this case needs a line item whose description wraps onto 2+ lines"
        return built

    return build


def _text(language: str, seed: int) -> str:
    return f"generate({seed}, doc_type='invoice', language='{language}'), render_pdf seed {seed}"


CASES = [
    # 1-2: text-layer PDF invoices, one per language (en: 13 line items, some wrapped)
    *(
        Case(f"invoice_{lang}_pdf", _text(lang, seed), text_pdf(lang, seed), TEXT_INVOICE_MUST)
        for lang, seed in (("en", 1), ("de", 1), ("fr", 1), ("es", 0), ("it", 3), ("pt", 0), ("nl", 0))
    ),
    # 3: a scanned-looking PNG (grey, blurred, noisy, slightly skewed), also in accuracy mode
    Case(
        "scan_invoice_en_png",
        "generate(6, doc_type='invoice', language='en'), render_image seed 6, dpi 200, noise",
        scan("en", 6, dpi=200),
        SCAN_MUST,
    ),
    Case(
        "scan_invoice_en_png_accuracy",
        "generate(6, doc_type='invoice', language='en'), render_image seed 6, dpi 200, noise; accuracy mode",
        scan("en", 6, dpi=200),
        SCAN_MUST,
        mode="accuracy",
    ),
    # 4: a scan fed turned a quarter (270° clockwise)
    Case(
        "rotated_scan_invoice_en_png",
        "generate(35, doc_type='invoice', language='en'), render_image seed 35, dpi 200, noise, rotate 270",
        scan("en", 35, dpi=200, rotate=270),
        SCAN_MUST,
    ),
    # 5: three invoices in one PDF (pages 1-2, 3, 4): the split must find exactly those ranges
    Case(
        "multi_invoice_pdf",
        "render_multi_pdf_with_ranges([generate(0, 'invoice', 'en'), generate(1, 'invoice', 'de'), "
        "generate(2, 'invoice', 'fr')], seed 0)",
        multi_pdf(0, [("en", 0), ("de", 1), ("fr", 2)]),
        TEXT_INVOICE_MUST,
    ),
    # 6: line item descriptions printed on two lines must come back whole
    Case(
        "wrapped_item_invoice_de_pdf",
        _text("de", 4) + "; items 1 and 3 wrap onto two lines",
        wrapped_pdf("de", 4),
        (*TEXT_INVOICE_MUST, "wrapped_descriptions"),
    ),
    # 7: a till receipt
    Case(
        "receipt_till_en_pdf",
        "generate(0, doc_type='receipt', language='en'), render_pdf seed 0 (till layout)",
        till_receipt("en", 0),
        ("type", "language", "total_amount", "issue_date", "currency"),
    ),
]


# -- projection and comparison -----------------------------------------------------------------


def _value(entry: Any) -> Any:
    return entry.get("value") if isinstance(entry, dict) else entry


def project_document(document: dict[str, Any]) -> dict[str, Any]:
    extraction = document.get("extraction") or {}
    return {
        "pages": [document["pages"]["start"], document["pages"]["end"]],
        "type": document.get("type"),
        "language": document.get("language"),
        "fields": {name: _value(entry) for name, entry in (extraction.get("fields") or {}).items()},
        "line_items": [
            {key: item.get(key) for key in ITEM_KEYS} for item in extraction.get("line_items") or []
        ],
        "tax_lines": [{key: line.get(key) for key in TAX_KEYS} for line in extraction.get("tax_lines") or []],
        "validation": {check["check"]: check["status"] for check in document.get("validation") or []},
        "errors": sorted({f"{error['stage']}:{error['code']}" for error in document.get("errors") or []}),
    }


def project(case: Case, result: dict[str, Any]) -> dict[str, Any]:
    projected: dict[str, Any] = {"case": case.name, "input": case.recipe, "mode": case.mode}
    projected["pages"] = result.get("pages")
    if "error" in result:
        projected["error"] = result["error"]["code"]
    projected["documents"] = [project_document(document) for document in result["documents"]]
    return projected


def differences(golden: Any, actual: Any, path: str = "") -> list[str]:
    """Every place where ``actual`` differs from ``golden``, as readable lines."""
    if isinstance(golden, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(set(golden) | set(actual), key=str):
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                out.append(f"{where}: gone (golden {golden[key]!r})")
            elif key not in golden:
                out.append(f"{where}: new {actual[key]!r}")
            else:
                out.extend(differences(golden[key], actual[key], where))
        return out
    if isinstance(golden, list) and isinstance(actual, list):
        out = [] if len(golden) == len(actual) else [f"{path}: {len(golden)} in golden, {len(actual)} now"]
        for index, (old, new) in enumerate(zip(golden, actual, strict=False)):
            out.extend(differences(old, new, f"{path}[{index}]"))
        for index in range(len(golden), len(actual)):
            out.append(f"{path}[{index}]: new {actual[index]!r}")
        for index in range(len(actual), len(golden)):
            out.append(f"{path}[{index}]: gone (golden {golden[index]!r})")
        return out
    return [] if golden == actual else [f"{path}: golden {golden!r}, now {actual!r}"]


def must_be_right_problems(case: Case, built: Built, projected: dict[str, Any]) -> list[str]:
    """What the pipeline got wrong among the case's must-be-right checks, against ground truth."""
    problems: list[str] = []
    documents = projected["documents"]
    ranges = [tuple(document["pages"]) for document in documents]
    if ranges != built.ranges:
        problems.append(f"page ranges: got {ranges}, truth {built.ranges}")
    for index, (truth, document) in enumerate(zip(built.docs, documents, strict=False)):
        for name in case.must:
            if name == "wrapped_descriptions":
                found = {item["description"] for item in document["line_items"]}
                problems += [
                    f"documents[{index}]: wrapped description {text!r} not extracted whole"
                    for text in built.wrapped
                    if text not in found
                ]
                continue
            if name == "type":
                expected, got = truth.doc_type, document["type"]
            elif name == "language":
                expected, got = truth.language, document["language"]
            else:
                assert name in truth.fields, f"case {case.name}: the generator did not label {name}"
                expected, got = truth.fields[name], document["fields"].get(name)
            if got != expected:
                problems.append(f"documents[{index}].{name}: got {got!r}, truth {expected!r}")
    return problems


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# -- the test ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_golden(case: Case, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    built = case.build(tmp_path)
    result = extract_one(str(built.path), built.path, case.mode)
    projected = project(case, result)
    golden_path = GOLDEN_DIR / f"{case.name}.json"

    if request.config.getoption("--update-goldens"):
        GOLDEN_DIR.mkdir(exist_ok=True)
        golden_path.write_text(_dump(projected), encoding="utf-8")
    else:
        assert golden_path.exists(), f"{golden_path} is missing: run pytest {__file__} --update-goldens"
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
        changed = differences(golden, projected)
        assert not changed, (
            f"{case.name} differs from {golden_path.name} ({len(changed)} differences; after a deliberate "
            "change refresh with --update-goldens and review the diff):\n  " + "\n  ".join(changed)
        )

    problems = must_be_right_problems(case, built, projected)
    assert not problems, f"{case.name}: must-be-right checks against ground truth failed:\n  " + "\n  ".join(
        problems
    )
