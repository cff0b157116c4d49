from __future__ import annotations

from decimal import Decimal

import pytest

from crm.scoring import calculate_score, explain_score

STRONG = {
    "industry": "Technology",
    "employee_count": 500,
    "annual_revenue": 50_000_000,
    "title": "VP Engineering",
    "engagement_score": 85,
}
WEAK = {"industry": "Unknown", "employee_count": 5, "annual_revenue": 100_000, "title": "Student"}


def test_specification_strong_technology_vp_scores_80_to_100():
    assert 80 <= calculate_score(STRONG) <= 100


def test_specification_unknown_industry_student_scores_below_30():
    assert calculate_score({**WEAK, "engagement_score": 10}) < 30


def test_specification_engagement_90_vs_20_differs_by_more_than_30_points():
    high = calculate_score({**WEAK, "engagement_score": 90})
    low = calculate_score({**WEAK, "engagement_score": 20})
    assert high - low > 30


@pytest.mark.parametrize(
    "lead",
    [{}, {"industry": None}, {"title": ""}, {"employee_count": "n/a"}, {"annual_revenue": Decimal("-1")}],
)
def test_missing_or_unreadable_values_score_within_range(lead):
    assert 0 <= calculate_score(lead) <= 100


def test_engagement_above_100_is_capped():
    assert calculate_score({"engagement_score": 500}) == calculate_score({"engagement_score": 100})


def test_explanation_parts_add_up_and_name_each_factor():
    explanation = explain_score(STRONG)
    assert explanation.total == pytest.approx(explanation.fit + explanation.engagement)
    text = " ".join(explanation.reasons)
    for word in ("Technology", "500 employees", "VP Engineering", "engagement"):
        assert word in text


def test_numbers_given_as_text_score_like_numbers():
    as_text = {k: str(v) for k, v in STRONG.items()}
    assert calculate_score(as_text) == calculate_score(STRONG)
