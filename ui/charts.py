"""Plotly figures for the dashboards, built by pure functions from the analytics frames.

Every bar carries its segment key in ``customdata`` so a click can drill down to the records behind it.
Axes say their units ($, %, days).
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from models.domain import title_case, value_label
from ui.format import plural

# Passed to every st.plotly_chart: no plotly toolbar (it covered titles and legends, worst on phones);
# clicking a point still drills down, and Streamlit's own element toolbar offers full screen.
PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}
MONEY = "$,.0f"
PERCENT = ".0%"
_STAGE_COLOURS = {
    "prospecting": "#9ecae1",
    "discovery": "#6baed6",
    "proposal": "#3182bd",
    "negotiation": "#08519c",
    "closed_won": "#31a354",
    "closed_lost": "#de2d26",
}


def readable(fig: go.Figure) -> go.Figure:
    """Title at the left, the legend in one row under it (not beside the plot, which squeezes it on a phone)."""
    fig.update_layout(
        title={"x": 0, "xanchor": "left", "font": {"size": 16}},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def _layout(fig: go.Figure, *, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(title={"text": title}, xaxis_title=x_title, yaxis_title=y_title, height=380)
    return readable(fig)


def display_label(value: object) -> str:
    """A label as people read it: stored lowercase domain values (stages, sources) in Title Case."""
    return value_label(value, coded=True) if isinstance(value, str) and value == value.lower() else str(value)


def _labels(frame: pl.DataFrame, column: str = "label") -> list[str]:
    return [display_label(v) for v in frame[column]]


def pipeline_by_segment(frame: pl.DataFrame, *, segment: str = "stage", title: str | None = None) -> go.Figure:
    """Grouped bars of open and weighted pipeline ($) per segment, from ``open_pipeline_by``."""
    labels = _labels(frame)
    keys = [[k] for k in frame["key"].to_list()]
    fig = go.Figure(
        [
            go.Bar(
                name="Open pipeline",
                x=labels,
                y=frame["amount"].to_list(),
                customdata=keys,
                text=[plural(n, "deal") for n in frame["count_open"]],
                hovertemplate="%{x}<br>$%{y:,.0f}<br>%{text}<extra></extra>",
            ),
            go.Bar(
                name="Weighted pipeline",
                x=labels,
                y=frame["weighted_amount"].to_list(),
                customdata=keys,
                hovertemplate="%{x}<br>$%{y:,.0f} weighted<extra></extra>",
            ),
        ]
    )
    fig.update_traces(textposition="none")
    fig.update_yaxes(tickformat=MONEY)
    return _layout(fig, title=title or f"Open pipeline by {segment}", x_title=segment.title(), y_title="Amount ($)")


def pipeline_trend_chart(frame: pl.DataFrame) -> go.Figure:
    """Stacked areas of open pipeline ($) per stage over time, from ``pipeline_trend``."""
    fig = go.Figure()
    present = set(frame["stage"].to_list())
    ordered = [s for s in _STAGE_COLOURS if s in present] + sorted(present - set(_STAGE_COLOURS))
    for stage in ordered:
        part = frame.filter(pl.col("stage") == stage)
        fig.add_trace(
            go.Scatter(
                name=title_case(stage),
                x=part["snapshot_on"].to_list(),
                y=part["amount"].to_list(),
                stackgroup="pipeline",
                customdata=[[str(day)] for day in part["snapshot_on"]],
                line={"color": _STAGE_COLOURS.get(stage)},
                hovertemplate="%{x}<br>$%{y:,.0f}<extra>" + title_case(stage) + "</extra>",
            )
        )
    fig.update_yaxes(tickformat=MONEY)
    return _layout(fig, title="Open pipeline over time", x_title="Day (UTC)", y_title="Open pipeline ($)")


def change_waterfall(summary: pl.DataFrame) -> go.Figure:
    """The start → new, increased, decreased, won, lost → end waterfall ($) from ``pipeline_change_summary``."""
    steps = summary.filter(pl.col("step").is_in(["start", "new", "increased", "decreased", "won", "lost", "end"]))
    measures = ["absolute" if s in ("start", "end") else "relative" for s in steps["step"]]
    fig = go.Figure(
        go.Waterfall(
            x=[value_label(s, coded=True) for s in steps["step"]],
            y=steps["amount"].to_list(),
            measure=measures,
            customdata=[[s] for s in steps["step"]],
            text=[plural(n, "deal") if n else "" for n in steps["count_deals"]],
            textposition="outside",
            textfont={"size": 11},
            cliponaxis=False,
            hovertemplate="%{x}<br>$%{y:,.0f}<br>%{text}<extra></extra>",
            connector={"line": {"color": "#bbb"}},
        )
    )
    fig.update_yaxes(tickformat=MONEY, rangemode="tozero")
    fig.update_layout(uniformtext={"minsize": 10, "mode": "show"})
    return _layout(fig, title="What changed in the pipeline", x_title="Change", y_title="Open pipeline ($)")


def rate_bars(frame: pl.DataFrame, *, rate: str, title: str, x_title: str) -> go.Figure:
    """Bars of a rate (%) per segment with its Wilson 95 % interval as error bars and n in the hover."""
    value = frame[rate].fill_null(0)
    fig = go.Figure(
        go.Bar(
            x=_labels(frame),
            y=value.to_list(),
            customdata=[[k] for k in frame["key"].to_list()],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": (frame[f"{rate}_high"].fill_null(0) - value).to_list(),
                "arrayminus": (value - frame[f"{rate}_low"].fill_null(0)).to_list(),
            },
            text=[_sample_text(frame, rate, i) for i in range(frame.height)],
            hovertemplate="%{x}<br>%{y:.1%}<br>%{text}<extra></extra>",
        )
    )
    fig.update_traces(textposition="none")
    fig.update_yaxes(tickformat=PERCENT, rangemode="tozero")
    return _layout(fig, title=title, x_title=x_title, y_title=f"{title.split(' by ')[0]} (%)")


def _sample_text(frame: pl.DataFrame, rate: str, i: int) -> str:
    trials = next(c for c in ("count_leads", "count_closed", "count_previous") if c in frame.columns)
    low, high = frame[f"{rate}_low"][i], frame[f"{rate}_high"][i]
    interval = f"95% CI {low:.0%}–{high:.0%}" if low is not None else "no data"
    return f"n = {frame[trials][i]:,}, {interval}"


def funnel_chart(frame: pl.DataFrame) -> go.Figure:
    """Deals reaching each stage, from ``stage_funnel``; hover shows the stage-to-stage conversion (%)."""
    fig = go.Figure(
        go.Funnel(
            y=[title_case(s) for s in frame["stage"]],
            x=frame["count_reached"].to_list(),
            customdata=[[s] for s in frame["stage"]],
            text=[f"{r:.0%} of previous" if r is not None else "" for r in frame["stage_conversion"]],
            textinfo="value+percent initial",
            hovertemplate="%{y}<br>%{x:,} deals<br>%{text}<extra></extra>",
        )
    )
    return _layout(fig, title="Stage funnel (deals created in range)", x_title="Deals", y_title="Stage")


def cohort_curves_chart(frame: pl.DataFrame) -> go.Figure:
    """One line per creation-month cohort: share converted (%) within k months since creation."""
    fig = go.Figure()
    for cohort in frame["cohort_month"].unique(maintain_order=True).to_list():
        part = frame.filter(pl.col("cohort_month") == cohort)
        fig.add_trace(
            go.Scatter(
                name=cohort,
                x=part["months_since_created"].to_list(),
                y=part["conversion_rate"].to_list(),
                mode="lines+markers",
                text=[f"n = {n:,}" for n in part["count_leads"]],
                hovertemplate="Month %{x}: %{y:.1%}<br>%{text}<extra>" + cohort + "</extra>",
            )
        )
    fig.update_yaxes(tickformat=PERCENT, rangemode="tozero")
    fig.update_xaxes(dtick=1, tick0=0, tickformat="d")  # whole months since creation
    return _layout(fig, title="Cohort conversion curves", x_title="Months since lead created", y_title="Converted (%)")


def attainment_bars(frame: pl.DataFrame) -> go.Figure:
    """Quota attainment (%) per rep from ``rep_leaderboard``."""
    fig = go.Figure(
        go.Bar(
            x=frame["owner_name"].to_list(),
            y=frame["quota_attainment"].fill_null(0).to_list(),
            customdata=[[k] for k in frame["owner_id"].to_list()],
            text=[
                f"won ${w:,.0f} of ${q:,.0f}" if q else "no quota"
                for w, q in zip(frame["won_amount"], frame["quota"], strict=True)
            ],
            hovertemplate="%{x}<br>%{y:.0%}<br>%{text}<extra></extra>",
        )
    )
    fig.update_traces(textposition="none")
    fig.add_hline(y=1.0, line_dash="dot", line_color="#888")
    fig.update_yaxes(tickformat=PERCENT, rangemode="tozero")
    return _layout(fig, title="Quota attainment", x_title="Rep", y_title="Attainment (%)")


def duration_bars(frame: pl.DataFrame) -> go.Figure:
    """Median and P90 days in each stage from ``stage_duration``."""
    stages = [title_case(s) for s in frame["stage"]]
    fig = go.Figure(
        [
            go.Bar(name="Median", x=stages, y=frame["median_days"].to_list(), customdata=[[s] for s in frame["stage"]]),
            go.Bar(name="P90", x=stages, y=frame["p90_days"].to_list(), customdata=[[s] for s in frame["stage"]]),
        ]
    )
    return _layout(fig, title="Time in stage", x_title="Stage", y_title="Days")


def selected_key(event: object) -> str | None:
    """The segment key of the first clicked point of an ``st.plotly_chart(on_select=...)`` event, if any."""
    try:
        points = event["selection"]["points"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    if not points:
        return None
    data = points[0].get("customdata")
    if isinstance(data, list):
        data = data[0] if data else None
    return None if data is None else str(data)
