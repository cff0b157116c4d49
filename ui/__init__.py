"""Streamlit-only helpers: cached resources and queries, shared widgets. Pages import from here."""
