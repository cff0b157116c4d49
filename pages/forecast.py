"""Forecast: won value expected per month with its P10–P90 band, per owner/team, per deal, and its backtest."""

import datetime as dt

import streamlit as st

from analytics.deal_features import days_behind_today
from ui.charts import PLOTLY_CONFIG, readable
from ui.dashboards import data_table, require_warehouse
from ui.filters import visible_owners
from ui.forecast_views import (
    TRAIN_HINT,
    accuracy_headline,
    backtest,
    cached_baselines,
    cached_forecast,
    forecast_chart,
    model_mtime,
    monthly_actuals,
    saved_backtest_time,
)
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
backtest_time = saved_backtest_time()
result = cached_forecast(months, model_time, warehouse_time, visible, backtest_time)
saved = backtest()
headline = accuracy_headline(saved[1] if saved else None)
if result.probability_source == "stage fallback":
    thin = not result.fallback_reason or result.fallback_reason.startswith("thin history")
    why = "History is thin (fewer than 200 won or 200 lost deals)" if thin else result.fallback_reason.capitalize()
    st.warning(f"{why}: win probabilities are stage win rates shrunk toward the overall rate, not the model.")
t = result.totals
window = f"{result.as_of + dt.timedelta(days=1)} – {result.horizon_end}"
if headline is not None and headline["best"] != "forecast":
    base = cached_baselines(result.as_of, result.horizon_end, warehouse_time, visible)
    st.warning(headline["verdict"], icon=":material/warning:")
    left, right = st.columns(2)
    left.metric(
        f"{headline['label'].capitalize()} (most accurate so far), {window}",
        f"${base[headline['best']]:,.0f}",
        help="The baseline that has been closest to what was won at past origins",
    )
    right.metric(f"Forecast P50, {window}", f"${t['p50']:,.0f}", help="P50 of the simulations")
else:
    st.metric(f"Won value expected {window}", f"${t['p50']:,.0f}", help="P50 of the simulations")
    st.caption(headline["verdict"] if headline else "Accuracy not measured yet: run `python -m analytics backtest`.")
bands = "calibrated on the backtest's past errors" if result.calibrated else "as simulated (no backtest yet)"
st.caption(
    f"P10 ${t['p10']:,.0f} · P90 ${t['p90']:,.0f} ({bands}) — open pipeline × win probability × learned "
    f"close-date slip, plus pipeline not created yet (run rate); {result.simulations:,} simulations, "
    f"as of {result.as_of}."
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
if saved is None:
    st.info("No backtest yet: run `python -m analytics backtest`.")
else:
    points, summary = saved
    st.caption(
        "WAPE and bias over past origins, forecast P50 against two baselines on the same origins "
        "(wape_minus_forecast > 0: worse than the forecast; its 90 % bootstrap interval beside it); coverage = "
        "share of actuals inside P10–P90 (nominal 80 %), calibrated out of sample (raw_: the simulated band)."
    )
    data_table(summary, key="forecast_backtest", filename="backtest_summary")
    data_table(points, key="forecast_backtest_points", filename="backtest_points")
