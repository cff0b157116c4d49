"""import_data (being built)."""

import streamlit as st

st.title("import_data")
