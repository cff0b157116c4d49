"""Sales System — router: page config, sign-in gate, and the navigation of every page."""

from __future__ import annotations

import streamlit as st

from core.version import __version__
from ui.session import current_user
from ui.signin import sign_in_form, sign_out_button

st.set_page_config(page_title="Sales System", page_icon="📈", layout="wide")

user = current_user()
if user is None:
    sign_in_form()
    st.stop()

dashboards = [
    st.Page("pages/pipeline.py", title="Pipeline", icon="📊", url_path="pipeline", default=True),
]
work = [
    st.Page("pages/leads.py", title="Leads", icon="🧑‍💼", url_path="leads"),
]
sections: dict[str, list[st.Page]] = {"Dashboards": dashboards, "Work": work}

st.sidebar.caption(f"Signed in as **{user.name}** · {user.role.title()}")
sign_out_button()
st.sidebar.caption(f"Sales System v{__version__}")
st.navigation(sections).run()
