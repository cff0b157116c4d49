"""The freshness banner speaks to a manager: how old the numbers are, since when the refresh fails, who knows."""

from __future__ import annotations

import datetime as dt

from etl.status import Freshness
from ui.freshness import freshness_message

NOW = dt.datetime(2026, 12, 3, 14, 36, tzinfo=dt.UTC)
SCHEDULE = dt.timedelta(minutes=15)


def _fresh(age: dt.timedelta, failing_since: dt.datetime | None = None) -> Freshness:
    as_of = NOW - age
    return Freshness(as_of=as_of, age=age, schedule=SCHEDULE, is_stale=age > 2 * SCHEDULE, failing_since=failing_since)


def test_fresh_numbers_need_no_banner():
    assert freshness_message(_fresh(dt.timedelta(minutes=10)), now=NOW) is None


def test_a_failing_refresh_says_how_old_since_when_and_that_the_administrator_knows():
    message = freshness_message(_fresh(dt.timedelta(minutes=31), NOW.replace(hour=14, minute=5)), now=NOW)
    assert message == (
        "Numbers are 31 minutes old; the automatic refresh has failed since 14:05 UTC; "
        "your administrator has been alerted."
    )


def test_a_refresh_that_stopped_running_says_since_when_it_last_ran():
    message = freshness_message(_fresh(dt.timedelta(hours=27)), now=NOW)
    assert message == (
        "Numbers are 27 hours old; the automatic refresh has not run since yesterday 11:36 UTC; "
        "your administrator has been alerted."
    )


def test_no_numbers_yet_tells_the_reader_what_to_do_without_commands():
    message = freshness_message(Freshness(as_of=None, age=None, schedule=SCHEDULE, is_stale=True), now=NOW)
    assert message is not None and "no numbers yet" in message
    assert "python" not in message and "`" not in message


def test_banner_never_shows_operator_detail():
    message = freshness_message(_fresh(dt.timedelta(days=3), NOW - dt.timedelta(days=2)), now=NOW) or ""
    assert message.startswith("Numbers are 3 days old; the automatic refresh has failed since 2026-12-01 14:36 UTC")
    for operator_word in ("etl", "ETL", "status", "Traceback", "Error"):
        assert operator_word not in message
