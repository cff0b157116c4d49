"""The weighted pipeline at the end of a day has one definition: pipeline_on's, which the backtest baseline uses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analytics.backtest import stage_weighted_pipeline
from analytics.filters import MetricFilter
from analytics.pipeline import pipeline_on, weighted_pipeline_on
from analytics.query import run


@pytest.mark.parametrize("day", [dt.date(2026, 1, 20), dt.date(2026, 2, 15), dt.date(2026, 3, 31)])
def test_weighted_pipeline_on_is_pipeline_ons_weighted_amount(tiny: Path, day: dt.date) -> None:
    by_source = MetricFilter(sources=("web", "referral", "event", "partner", "outbound"))  # rebuilt from history
    assert weighted_pipeline_on(day, con=tiny) == pytest.approx(pipeline_on(day, con=tiny)["weighted_amount"][0])
    assert weighted_pipeline_on(day, by_source, con=tiny) == pytest.approx(
        pipeline_on(day, by_source, con=tiny)["weighted_amount"][0]
    )


def test_backtest_baseline_is_the_weighted_pipeline_closing_in_the_horizon(tiny: Path) -> None:
    day, horizon = dt.date(2026, 2, 15), dt.date(2026, 3, 31)
    expected = run(
        "SELECT CAST(coalesce(sum(amount * probability), 0) AS DOUBLE) AS w FROM opportunity_history "
        "WHERE valid_from_at < ?::TIMESTAMPTZ AND (valid_to_at IS NULL OR valid_to_at >= ?::TIMESTAMPTZ) "
        "AND is_open AND expected_close_on <= ?",
        [dt.datetime(2026, 2, 16, tzinfo=dt.UTC)] * 2 + [horizon],
        con=tiny,
    )["w"][0]
    assert expected > 0
    assert stage_weighted_pipeline(day, horizon, con=tiny) == pytest.approx(expected)
    assert weighted_pipeline_on(day, closing_by=horizon, con=tiny) <= weighted_pipeline_on(day, con=tiny)
