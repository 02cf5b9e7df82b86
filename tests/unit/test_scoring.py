"""benchmarks/scoring.py: normalisers and the datasets README's TP/FP/FN rules, on hand-made labels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from benchmarks.scoring import (
    Counts,
    canonical_fields,
    canonical_name,
    fuzzy_score,
    judge,
    levenshtein,
    loose_text,
    normalize_text,
    parse_amount,
    parse_iso_date,
    score,
    scored_label_fields,
)


def _label(file: str, source: str, **fields: Any) -> dict[str, Any]:
    return {"file": file, "source": source, "doc_type": "invoice", "fields": fields}


# -- amounts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.50", "1234.50"),
        ("4.4", "4.40"),
        ("RM 1,234.50", "1234.50"),
        ("RM4.40", "4.40"),
        ("1.234,56", "1234.56"),
        ("1 234,56 €", "1234.56"),
        ("1\u00a0234,56 EUR", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("$1,234.56", "1234.56"),
        ("€ 1.234.567,89", "1234567.89"),
        ("1'234.50 CHF", "1234.50"),
        ("USD 12", "12.00"),
        ("12,5", "12.50"),
        ("0,99", "0.99"),
        ("1,234", "1234.00"),  # one separator before three digits: grouping
        ("1.234", "1234.00"),
        ("1,234,567", "1234567.00"),
        ("0.125", "0.13"),  # a leading zero cannot be grouped: decimal, rounded to the cent
        ("1,23,456.00", "123456.00"),
        ("-12.50", "-12.50"),
        ("(12.50)", "-12.50"),
        ("1,269.12-", "-1269.12"),
        ("  99.00  ", "99.00"),
    ],
)
def test_amount_strings(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, "12.00"), (4.4, "4.40"), (0.1 + 0.2, "0.30"), (Decimal("19.999"), "20.00"), (-3, "-3.00")],
)
def test_amount_numbers(value: Any, expected: str) -> None:
    assert parse_amount(value) == Decimal(expected)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "abc",
        "EUR",
        "1.234.56",
        "1,2,3",
        "2023-04-13",
        "12.50 and 3.00",
        True,
        [1],
        float("nan"),
    ],
)
def test_unreadable_amounts(value: Any) -> None:
    assert parse_amount(value) is None


def test_amounts_equal_to_the_cent() -> None:
    assert judge("total_amount", "1234.50", "RM 1,234.50").exact is True
    assert judge("total_amount", "1234.50", 1234.5).exact is True
    assert judge("total_amount", "1234.50", "1.234,50 €").exact is True
    assert judge("total_amount", "1234.50", "1234.51").exact is False
    assert judge("tax_amount", "4.40", "4.3951").exact is True
    assert judge("amount_due", "4.40", "n/a").exact is False


# -- dates -------------------------------------------------------------------------------------


def test_iso_dates_only() -> None:
    assert parse_iso_date("2018-04-12") == dt.date(2018, 4, 12)
    assert parse_iso_date(" 2018-04-12 ") == dt.date(2018, 4, 12)
    assert parse_iso_date(dt.date(2018, 4, 12)) == dt.date(2018, 4, 12)
    for value in ["12/04/2018", "2018-4-12", "2018-02-30", "20180412", "2018-04-12T10:00", "", None, 5]:
        assert parse_iso_date(value) is None


def test_date_judgement() -> None:
    assert judge("issue_date", "2018-04-12", "2018-04-12").exact is True
    # the same day written another way is wrong: the prediction must be ISO
    assert judge("issue_date", "2018-04-12", "12/04/2018").exact is False
    assert judge("due_date", "2018-04-12", "2018-12-04").exact is False
    verdict = judge("issue_date", "2018-04-12", "2018-04-13")
    assert (verdict.exact, verdict.loose, verdict.fuzzy) == (False, False, 0.0)


# -- text: exact, loose, fuzzy -----------------------------------------------------------------


def test_text_normalisers() -> None:
    assert normalize_text("  AEON  CO.\n(M)\tBHD ") == "aeon co. (m) bhd"
    assert normalize_text("Straße") == "strasse"
    assert loose_text("SUE'S HALLMARK") == loose_text("Sue'sHallmark") == "sueshallmark"
    assert loose_text("Müller & Co., 12") == "müllerco12"


def test_levenshtein_and_fuzzy() -> None:
    assert levenshtein("", "") == 0
    assert levenshtein("abc", "") == 3
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("flaw", "lawn") == 2
    assert fuzzy_score("", "") == 1.0
    assert fuzzy_score("abcd", "abcd") == 1.0
    assert fuzzy_score("abcd", "abce") == pytest.approx(0.75)
    assert fuzzy_score("kitten", "sitting") == pytest.approx(1 - 3 / 7)
    assert fuzzy_score("abc", "xyz") == 0.0


def test_exact_loose_and_fuzzy_judgements() -> None:
    same = judge("supplier_name", "AEON CO. (M) BHD", "aeon  co. (m)\nbhd")
    assert (same.exact, same.loose, same.fuzzy) == (True, True, 1.0)
    spaces = judge("supplier_name", "SUE'SHALLMARK", "Sue's Hallmark")
    assert (spaces.exact, spaces.loose) == (False, True)
    assert 0 < spaces.fuzzy < 1
    dot = judge("supplier_name", "Squeaky B.V", "Squeaky B.V.")
    assert (dot.exact, dot.loose) == (False, True)
    assert dot.fuzzy == pytest.approx(1 - 1 / 12)
    wrong = judge("supplier_name", "Semrush Inc.", "Storyblok GmbH")
    assert (wrong.exact, wrong.loose) == (False, False)
    missing = judge("supplier_name", "Semrush Inc.", "  ")
    assert (missing.exact, missing.loose, missing.fuzzy) == (None, None, 0.0)
    assert judge("supplier_name", "Semrush Inc.", {"value": "SEMRUSH INC.", "text": "x"}).exact is True
    assert judge("currency", "EUR", "eur").exact is True


# -- field names -------------------------------------------------------------------------------


def test_field_name_mapping() -> None:
    assert canonical_name("supplier_vat") == "supplier_tax_id"
    assert canonical_name("iban") == "supplier_iban"
    assert canonical_name("supplier_zip") == "supplier_postcode"
    assert canonical_name("total_amount") == "total_amount"
    assert canonical_fields({"iban": "A", "supplier_iban": "B"}) == {"supplier_iban": "B"}
    assert canonical_fields({"supplier_iban": "B", "iban": "A"}) == {"supplier_iban": "B"}
    scored = scored_label_fields(
        {
            "supplier_vat": "DE123456789",
            "iban": "DE02120300000000202051",
            "supplier_zip": "10115",
            "buyer_reference": "04011000-12345-34",
            "line_items": [{"name": "x"}],
            "invoice_number": "",
        }
    )
    assert scored == {
        "supplier_tax_id": "DE123456789",
        "supplier_iban": "DE02120300000000202051",
        "supplier_postcode": "10115",
    }


def test_renamed_fields_are_scored_under_either_name() -> None:
    labels = [_label("a.pdf", "einv", supplier_vat="DE123456789", iban="DE02 1203", supplier_zip="10115")]
    ours = {
        "a.pdf": {
            "supplier_tax_id": "DE123456789",
            "supplier_iban": "de02 1203",
            "supplier_postcode": "10115",
        }
    }
    theirs = {"a.pdf": {"supplier_vat": "DE123456789", "iban": "DE02 1203", "supplier_zip": "10115"}}
    for predictions in (ours, theirs):
        result = score(labels, predictions).sources["einv"]
        assert set(result.fields) == {"supplier_tax_id", "supplier_iban", "supplier_postcode"}
        assert (result.micro.tp, result.micro.fp, result.micro.fn) == (3, 0, 0)


# -- bookkeeping -------------------------------------------------------------------------------


def test_counts_rules() -> None:
    counts = Counts()
    counts.add(True)
    counts.add(False)
    counts.add(None)
    assert (counts.tp, counts.fp, counts.fn) == (1, 1, 2)
    assert counts.precision == pytest.approx(0.5)
    assert counts.recall == pytest.approx(1 / 3)
    assert counts.f1 == pytest.approx(2 / 5)
    empty = Counts()
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)


def test_missing_wrong_and_extra_predictions() -> None:
    labels = [_label("r1.jpg", "src", supplier_name="ACME", issue_date="2020-01-02", total_amount="10.00")]
    predictions = {
        "r1.jpg": {
            "supplier_name": "",  # empty: a miss
            "issue_date": "2020-01-03",  # wrong: FP + FN
            "total_amount": "10",  # right
            "invoice_number": "X-1",  # not labelled: ignored
            "line_items": [{"description": "x"}],
        }
    }
    result = score(labels, predictions).sources["src"]
    name, date, total = (result.fields[n] for n in ("supplier_name", "issue_date", "total_amount"))
    assert (name.primary.tp, name.primary.fp, name.primary.fn) == (0, 0, 1)
    assert (date.primary.tp, date.primary.fp, date.primary.fn) == (0, 1, 1)
    assert (total.primary.tp, total.primary.fp, total.primary.fn) == (1, 0, 0)
    assert "invoice_number" not in result.fields
    assert "line_items" not in result.fields
    assert (name.support, date.support, total.support) == (1, 1, 1)
    assert (name.predicted, date.predicted, total.predicted) == (0, 1, 1)


def test_file_without_prediction_misses_everything() -> None:
    labels = [_label("a.pdf", "src", supplier_name="ACME", total_amount="1.00")]
    report = score(labels, [{"file": "other.pdf", "fields": {"total_amount": "1.00"}}])
    micro = report.overall.micro
    assert (micro.tp, micro.fp, micro.fn) == (0, 0, 2)
    assert micro.f1 == 0.0
    assert report.unmatched_predictions == ["other.pdf"]


def test_all_empty_predictions_give_zero() -> None:
    labels = [_label(f"{i}.jpg", "src", supplier_name="A", total_amount="1.00") for i in range(3)]
    report = score(labels, [{"file": f"{i}.jpg", "fields": {}} for i in range(3)])
    assert report.overall.micro_f1 == 0.0
    assert report.overall.support == 6
    assert report.overall.predicted == 0


def test_micro_f1_by_hand() -> None:
    labels = [
        _label("1", "s", supplier_name="Alpha", total_amount="10.00", issue_date="2021-05-01"),
        _label("2", "s", supplier_name="Beta", total_amount="20.00", issue_date="2021-05-02"),
        _label("3", "s", supplier_name="Gamma", total_amount="30.00"),
        _label("4", "s", supplier_name="Delta", total_amount="40.00", issue_date="2021-05-04"),
    ]
    predictions = {
        "1": {"supplier_name": "alpha", "total_amount": "10.00", "issue_date": "2021-05-01"},  # 3 TP
        "2": {"supplier_name": "Bet", "total_amount": "20,00", "issue_date": "02/05/2021"},  # 1 TP, 2 wrong
        "3": {"total_amount": "31.00", "issue_date": "2021-06-06"},  # name missing, total wrong, date ignored
        "4": {"supplier_name": "Delta", "total_amount": "40"},  # 2 TP, date missing
    }
    result = score(labels, predictions).sources["s"]
    # TP: 3 + 1 + 0 + 2 = 6; FP: 0 + 2 + 1 + 0 = 3; FN: 0 + 2 + 2 + 1 = 5
    micro = result.micro
    assert (micro.tp, micro.fp, micro.fn) == (6, 3, 5)
    assert micro.precision == pytest.approx(6 / 9)
    assert micro.recall == pytest.approx(6 / 11)
    assert result.micro_f1 == pytest.approx(12 / 20)
    name = result.fields["supplier_name"].primary
    assert (name.tp, name.fp, name.fn) == (2, 1, 2)
    assert name.f1 == pytest.approx(4 / 7)
    total = result.fields["total_amount"].primary
    assert (total.tp, total.fp, total.fn) == (3, 1, 1)
    date = result.fields["issue_date"].primary
    assert (date.tp, date.fp, date.fn) == (1, 1, 2)
    assert result.fields["issue_date"].support == 3
    # fuzzy over the 4 labelled names: 1 + (1 - 1/4) + 0 + 1
    assert result.fields["supplier_name"].fuzzy == pytest.approx(2.75 / 4)


def test_overall_sums_the_sources() -> None:
    labels = [
        _label("a", "one", supplier_name="A", total_amount="1.00"),
        _label("b", "two", supplier_name="B", total_amount="2.00"),
    ]
    predictions = {"a": {"supplier_name": "a", "total_amount": "9.00"}, "b": {"total_amount": "2.00"}}
    report = score(labels, predictions)
    assert set(report.sources) == {"one", "two"}
    assert report.overall.documents == 2
    overall = report.overall.micro
    assert (overall.tp, overall.fp, overall.fn) == (2, 1, 2)
    assert report.overall.micro_f1 == pytest.approx(4 / 7)
    assert report.overall.fields["supplier_name"].support == 2


# -- loose sources -----------------------------------------------------------------------------


def test_loose_sources_judge_listed_fields_loosely() -> None:
    labels = [
        _label(
            "w.jpg",
            "wildreceipt_dev",
            supplier_name="SUE'SHALLMARK",
            supplier_address="1MAINST",
            total_amount="5.00",
        ),
        _label("p.pdf", "parsee_invoices_dev", supplier_name="Squeaky B.V", currency="EUR"),
        _label("s.jpg", "sroie_train", supplier_name="SUE'SHALLMARK"),
    ]
    predictions = {
        "w.jpg": {"supplier_name": "Sue's Hallmark", "supplier_address": "1 Main St.", "total_amount": "5"},
        "p.pdf": {"supplier_name": "Squeaky B.V.", "currency": "EUR"},
        "s.jpg": {"supplier_name": "Sue's Hallmark"},
    }
    report = score(labels, predictions)
    wild = report.sources["wildreceipt_dev"]
    assert wild.fields["supplier_name"].loose_primary
    assert wild.fields["supplier_name"].primary.tp == 1
    assert wild.fields["supplier_address"].primary.tp == 1
    assert (wild.fields["supplier_name"].exact.fp, wild.fields["supplier_name"].exact.fn) == (1, 1)
    assert wild.micro_f1 == 1.0
    assert wild.micro_exact.f1 == pytest.approx(2 / 6)  # only the amount is exact: 1 TP, 2 FP, 2 FN
    parsee = report.sources["parsee_invoices_dev"]
    assert parsee.fields["supplier_name"].primary.tp == 1
    assert parsee.fields["supplier_name"].exact.tp == 0
    assert not parsee.fields["currency"].loose_primary
    sroie = report.sources["sroie_train"]
    assert not sroie.fields["supplier_name"].loose_primary
    assert (sroie.micro.tp, sroie.micro.fp, sroie.micro.fn) == (0, 1, 1)
    assert sroie.micro_loose.tp == 1  # the loose number is reported for every source


def test_loose_sources_can_be_chosen() -> None:
    labels = [_label("x", "mine", supplier_name="A.B", supplier_vat="DE 123")]
    predictions = {"x": {"supplier_name": "AB", "supplier_tax_id": "de123"}}
    strict = score(labels, predictions, loose_sources={}).sources["mine"]
    assert strict.micro.tp == 0
    loose = score(labels, predictions, loose_sources={"mine": {"supplier_name", "supplier_vat"}}).sources[
        "mine"
    ]
    assert loose.micro.tp == 2
    assert loose.fields["supplier_tax_id"].loose_primary
