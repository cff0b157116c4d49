from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from crm.csv_export import escape_cell, safe_csv_bytes


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_like_text_is_escaped(cell):
    assert escape_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["Acme", "john@example.com", "", "a=b"])
def test_plain_text_is_unchanged(cell):
    assert escape_cell(cell) == cell


def test_numbers_stay_numbers():
    assert escape_cell(-5) == -5
    assert escape_cell(Decimal("-1.50")) == Decimal("-1.50")


def test_csv_bytes_round_trip_with_escaped_cells():
    data = safe_csv_bytes([{"name": "=cmd|' /C calc'!A0", "amount": Decimal("10.00")}, {"name": "Bob", "amount": None}])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["name", "amount"], ["'=cmd|' /C calc'!A0", "10.00"], ["Bob", ""]]
