"""Forecast: won value expected per month with its P10–P90 band, per owner/team, per deal, and its backtest."""

import datetime as dt

import streamlit as st

from analytics.deal_features import days_behind_today
from ui.charts import PLOTLY_CONFIG, readable
from ui.dashboards import data_table, require_warehouse
from ui.filters import visible_owners
from ui.forecast_views import TRAIN_HINT, backtest, cached_forecast, forecast_chart, model_mtime, monthly_actuals
from ui.freshness import freshness_caption
from ui.session import require_user

user = require_user()
st.title("Forecast")
warehouse_time = require_warehouse()
freshness_caption(warehouse_time)
model_time = model_mtime("win")
if model_time is None:
    st.info(TRAIN_HINT)
    st.stop()

months = st.segmented_control("Months ahead", [1, 3, 6, 12], default=3, key="forecast_months") or 3
visible = visible_owners(user, warehouse_time)
result = cached_forecast(months, model_time, warehouse_time, visible)
if result.probability_source == "stage fallback":
    st.warning(
        "History is thin (fewer than 200 won or 200 lost deals): win probabilities are stage win rates shrunk "
        "toward the overall rate, not the model."
    )
t = result.totals
window = f"{result.as_of + dt.timedelta(days=1)} – {result.horizon_end}"
st.metric(f"Won value expected {window}", f"${t['p50']:,.0f}", help="P50 of the simulations")
st.caption(
    f"P10 ${t['p10']:,.0f} · P90 ${t['p90']:,.0f} — open pipeline × win probability × learned close-date slip, "
    f"plus pipeline not created yet (run rate); {result.simulations:,} simulations, as of {result.as_of}."
)
if (behind := days_behind_today(result.as_of)) > 31:
    st.info(f"The data ends on {result.as_of}, {behind:,} days before today: this forecast starts there, not today.")
actuals = monthly_actuals(result.as_of, 12, warehouse_time, visible)
st.plotly_chart(readable(forecast_chart(actuals, result)), key="forecast_chart", width="stretch", config=PLOTLY_CONFIG)

st.subheader("Per owner, team and territory")
by = st.segmented_control(
    "Per", ["owner", "team", "territory"], default="owner", key="forecast_by", format_func=str.title
) or "owner"  # fmt: skip
groups = result.by_group.filter(result.by_group["dimension"] == by)
st.caption(f"P(reach quota) is for the quarter {result.quarter[0]} – {result.quarter[1]}: won so far + simulated.")
data_table(
    groups.drop("dimension", "key"), key="forecast_groups", filename="forecast_by_" + by, labels={"label": by.title()}
)

st.subheader("Open deals: win probability and why")
data_table(result.deals.drop("opportunity_id", "owner_id"), key="forecast_deals", filename="forecast_deals")

st.subheader("How accurate this has been (backtest)")
saved = backtest()
if saved is None:
    st.info("No backtest yet: run `python -m analytics backtest`.")
else:
    points, summary = saved
    st.caption(
        "WAPE and bias over past month-ends, forecast P50 against two baselines; coverage = share of "
        "actuals inside P10–P90 (nominal 80 %)."
    )
    data_table(summary, key="forecast_backtest", filename="backtest_summary")
    data_table(points, key="forecast_backtest_points", filename="backtest_points")
