"""About these numbers: each model card — training window, samples, AUC, Brier, calibration, what moves it."""

import streamlit as st

from ui import charts
from ui.dashboards import data_table
from ui.forecast_views import TRAIN_HINT, calibration_chart, importance_frame, metrics_frame, model_card
from ui.model_card_view import samples_frame, window_text
from ui.session import require_user

require_user()
st.title("About these numbers")
st.caption("Models are trained offline (`python -m analytics train`); pages only read the saved models and cards.")
TITLES = {"win": "Win probability (open deals)", "lead": "Predictive lead score (probability to convert)"}
cards = {name: model_card(name) for name in TITLES}
if not any(cards.values()):
    st.info(TRAIN_HINT)
    st.stop()
for name, title in TITLES.items():
    card = cards[name]
    st.header(title)
    if card is None:
        st.info(TRAIN_HINT)
        continue
    if card.get("published") is False:
        st.error((card.get("leakage") or {}).get("message") or "Not published.")
    if card.get("is_fallback"):
        st.warning(f"Fallback in use — {card.get('fallback_reason')}: {card.get('method')}.")
    else:
        st.caption(f"Method: {card.get('method')}.")
    st.markdown(f"**Training window:** {window_text(card)}")
    if card.get("samples"):
        st.markdown("**Samples per split**")
        data_table(samples_frame(card), key=f"about_{name}_samples", filename=f"{name}_samples")
    data_table(metrics_frame(card), key=f"about_{name}_metrics", filename=f"{name}_metrics")
    if (card.get("test") or {}).get("calibration_curve"):
        st.plotly_chart(
            charts.readable(calibration_chart(card)),
            key=f"about_{name}_calibration",
            width="stretch",
            config=charts.PLOTLY_CONFIG,
        )
    st.subheader("What moves the score")
    importance = importance_frame(card)
    if importance.is_empty():
        st.caption("This method has no per-feature importance to show (see its description above).")
    else:
        data_table(importance, key=f"about_{name}_importance", filename=f"{name}_importance")
