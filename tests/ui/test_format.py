"""The formatting layer: labels, dates, money, percentages, missing values, and CSV downloads."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import polars as pl

from models.domain import COLUMN_LABELS, column_label, value_label
from ui.format import cell_text, column_format, csv_bytes, day, display_frame, moment, percent, plural

TODAY = dt.date(2026, 12, 3)
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def deals() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "opportunity_id": ["o1", "o2", "o3"],
            "name": ["Acme renewal", "Globex", "Initech"],
            "owner_name": ["Leo Rep", "Rita Rep", None],
            "source": ["paid_search", "web", None],
            "stage": ["proposal", "closed_won", "negotiation"],
            "amount": [1617800.0, None, 12500.5],
            "probability": [0.5, 1.0, 0.17543859649122806],
            "expected_close_on": [dt.date(2026, 11, 1), dt.date(2026, 10, 1), dt.date(2027, 1, 15)],
            "created_at": [dt.datetime(2026, 9, 5, 14, 3, tzinfo=dt.UTC), None, dt.datetime(2026, 9, 6, tzinfo=dt.UTC)],
            "days_in_stage": [12.345, None, 3.0],
        }
    )


def test_domain_values_and_columns_read_as_words():
    assert value_label("paid_search") == "Paid Search"
    assert value_label("closed_won") == "Closed Won"
    assert value_label("Acme Corp") == "Acme Corp"
    assert value_label(None) == ""
    assert column_label("count_open") == "Open deals"
    assert column_label("p_reach_quota") == "Chance to reach quota"
    assert column_label("auc") == "AUC"
    assert column_label("some_new_measure") == "Some new measure"
    assert not [label for label in COLUMN_LABELS.values() if "_" in label]


def test_dates_timestamps_percent_and_plurals():
    assert day(dt.date(2026, 9, 5)) == "2026-09-05"
    assert day(dt.datetime(2026, 9, 5, 0, 0)) == "2026-09-05"
    assert day(None) == "—"
    assert moment(dt.datetime(2026, 9, 5, 14, 3, 59, tzinfo=dt.UTC)) == "2026-09-05 14:03 UTC"
    assert percent(0.17543859649122806) == "18%"
    assert percent(0.17543859649122806, 1) == "17.5%"
    assert percent(float("nan")) == "—"
    assert plural(1, "deal") == "1 deal"
    assert plural(2, "deal") == "2 deals"
    assert plural(1204, "lead") == "1,204 leads"
    assert cell_text(1617800.0, "money") == "$1,617,800"
    assert cell_text(-500.0, "money") == "-$500"


def test_column_kinds_follow_names_and_types():
    kinds = {
        "amount": (pl.Float64, "money"),
        "p50": (pl.Float64, "money"),
        "win_probability": (pl.Float64, "percent"),
        "p_reach_quota": (pl.Float64, "percent"),
        "quota_attainment": (pl.Float64, "percent"),
        "coverage": (pl.Float64, "ratio"),
        "count_open": (pl.Int64, "count"),
        "median_days": (pl.Float64, "days"),
        "snapshot_on": (pl.Date, "date"),
        "created_at": (pl.Datetime("us", "UTC"), "timestamp"),
        "opportunity_id": (pl.String, "hidden"),
        "stage": (pl.String, "coded"),
    }
    for name, (dtype, kind) in kinds.items():
        assert column_format(name, dtype).kind == kind, name


def test_display_frame_has_no_missing_values_links_first_and_flags_overdue_deals():
    shown, formats = display_frame(deals(), today=TODAY)
    visible = [f for f in formats if not f.hidden]
    assert [f.name for f in visible][:6] == ["open", "name", "stage", "amount", "days_in_stage", "expected_close_on"]
    assert shown["open"].to_list()[0] == "/opportunities?id=o1"
    for fmt in visible:
        values = shown[fmt.name].to_list()
        assert None not in values, fmt.name
        assert not any(isinstance(v, float) and v != v for v in values), fmt.name
        assert not SNAKE.match(fmt.label), fmt.label
    assert shown["stage"].to_list() == ["Proposal", "Closed Won", "Negotiation"]
    assert shown["source"].to_list() == ["Paid Search", "Web", "—"]
    assert shown["amount"].to_list() == ["$1,617,800", "—", "$12,500"]  # a missing amount: text, em dash
    assert shown["probability"].to_list() == [50.0, 100.0, 17.5]  # percent, one decimal, no 17 digits
    assert shown["expected_close_on"].to_list() == ["2026-11-01", "2026-10-01", "2027-01-15"]
    assert shown["created_at"].to_list() == ["2026-09-05 14:03 UTC", "—", "2026-09-06 00:00 UTC"]
    # Open and past its close date → flagged; won deals are never overdue; future dates are not.
    assert shown["close_overdue"].to_list() == ["⚠ Overdue", "", ""]


def test_rates_get_one_readable_interval_column_beside_them():
    frame = pl.DataFrame(
        {
            "key": ["web"],
            "label": ["web"],
            "win_rate": [0.25],
            "win_rate_low": [0.1],
            "win_rate_high": [0.5],
            "win_rate_small_sample": [True],
        }
    )
    shown, formats = display_frame(frame, today=TODAY)
    visible = [f.name for f in formats if not f.hidden]
    assert visible == ["label", "win_rate", "win_rate_interval"]
    assert shown["win_rate_interval"].to_list() == ["10.0%–50.0%"]
    assert shown["label"].to_list() == ["Web"]


def test_csv_has_human_headers_and_plain_numbers():
    rows = list(csv.reader(io.StringIO(csv_bytes(deals()).decode("utf-8-sig"))))
    header, first, second = rows[0], rows[1], rows[2]
    assert header == [
        "Opportunity ID",
        "Deal",
        "Owner",
        "Source",
        "Stage",
        "Amount (USD)",
        "Stage probability (%)",
        "Expected close",
        "Created (UTC)",
        "Days in stage",
    ]
    assert first == [
        "o1",
        "Acme renewal",
        "Leo Rep",
        "Paid Search",
        "Proposal",
        "1617800.00",
        "50.0",
        "2026-11-01",
        "2026-09-05 14:03",
        "12.3",
    ]
    assert second[5] == "" and second[8] == "" and rows[3][2] == ""  # missing values are blank cells
    assert csv_bytes(deals()).decode("utf-8-sig").count("None") == 0
    third = rows[3]
    assert third[5] == "12500.50" and third[6] == "17.5"


def test_csv_keeps_interval_bounds_as_numbers():
    frame = pl.DataFrame(
        {"key": ["web"], "label": ["web"], "win_rate": [0.25], "win_rate_low": [0.1], "win_rate_high": [0.5]}
    )
    rows = list(csv.reader(io.StringIO(csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[0] == ["Name", "Win rate (%)", "Win rate, 95% low (%)", "Win rate, 95% high (%)"]
    assert rows[1] == ["Web", "25.0", "10.0", "50.0"]
