"""territories (being built)."""

import streamlit as st

st.title("territories")
