"""users (being built)."""

import streamlit as st

st.title("users")
