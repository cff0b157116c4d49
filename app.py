"""Sales System — router: page config, sign-in gate, and the navigation of every page.

``streamlit run app.py`` first imports this file as the module ``app`` to build the server
(Streamlit 1.67 serves an ``st.App`` it finds in the script with uvicorn): that import only adds the
two session-cookie routes of ``ui/session_routes.py``. Every browser session then runs this file
as ``__main__``, which is the router in :func:`main`.
"""

from __future__ import annotations

import streamlit as st


def main() -> None:
    """Page config, the sign-in gate (or the session cookie), then the navigation for the user's role."""
    from core.version import __version__
    from ui.format import escape
    from ui.session import current_user, sync_session_cookie
    from ui.signin import sign_in_form, sign_out_button
    from ui.startup import database_problem, start_process_services

    st.set_page_config(page_title="Sales System", page_icon="📈", layout="wide")

    problem = database_problem()
    if problem is not None:  # bad configuration: one sentence saying what to fix, not a traceback
        st.error(problem)
        st.stop()
    start_process_services()

    user = current_user()
    sync_session_cookie()
    role = user.role if user is not None else None

    def home() -> None:  # "/" opens each role's own landing page, under its own address
        st.switch_page("pages/leads.py" if role == "rep" else "pages/overview.py")

    landing = [st.Page(home, title="Home", url_path="home", default=True, visibility="hidden")]
    dashboards = [
        st.Page("pages/overview.py", title="Overview", icon=":material/home:", url_path="overview"),
        st.Page("pages/pipeline.py", title="Pipeline", icon=":material/view_kanban:", url_path="pipeline"),
        st.Page("pages/conversion.py", title="Conversion", icon=":material/filter_alt:", url_path="conversion"),
        st.Page("pages/team.py", title="Team", icon=":material/groups:", url_path="team"),
        st.Page("pages/forecast.py", title="Forecast", icon=":material/trending_up:", url_path="forecast"),
        st.Page(
            "pages/about_numbers.py", title="About these numbers", icon=":material/info:", url_path="about-numbers"
        ),
    ]
    work = [
        st.Page("pages/leads.py", title="Leads", icon=":material/person_search:", url_path="leads"),
        st.Page("pages/opportunities.py", title="Opportunities", icon=":material/handshake:", url_path="opportunities"),
    ]
    if user is None or user.can_write:
        work.append(st.Page("pages/import_data.py", title="Import", icon=":material/upload_file:", url_path="import"))
    admin = [
        st.Page("pages/users.py", title="Users", icon=":material/manage_accounts:", url_path="users"),
        st.Page("pages/territories.py", title="Territories", icon=":material/map:", url_path="territories"),
    ]

    if user is None:  # every page is known (so a shared link survives signing in) but hidden, and none runs
        st.navigation([*landing, *dashboards, *work, *admin], position="hidden")
        sign_in_form()
        st.stop()

    sections: dict[str, list[st.Page]] = {"": landing, "Dashboards": dashboards, "Work": work}
    if user.role == "admin":
        sections["Admin"] = admin

    st.sidebar.caption(f"Signed in as **{escape(user.name)}** · {user.role.title()}")
    sign_out_button()
    st.sidebar.caption(f"Sales System v{__version__}")
    st.navigation(sections).run()


if __name__ == "__main__":
    main()
else:  # imported by `streamlit run` to find the server: Streamlit plus the session-cookie routes
    from ui.session_routes import session_routes

    app = st.App(__file__, routes=session_routes())
