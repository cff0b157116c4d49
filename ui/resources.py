"""Process-wide resources, created once per Streamlit process."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.db import get_engine, session_factory


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """The PostgreSQL engine (system of record)."""
    return get_engine()


def sessions() -> sessionmaker[Session]:
    """A session factory on the cached engine; use ``with sessions().begin() as s:``."""
    return session_factory(engine())
