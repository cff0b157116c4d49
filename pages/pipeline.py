"""Pipeline dashboard (placeholder until the analytics land)."""

import streamlit as st

st.title("Pipeline")
st.info("The pipeline dashboard is being built.")
