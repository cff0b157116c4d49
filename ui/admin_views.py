"""Admin pieces: the user table and forms, and the territory rule editor with its dry-run preview."""

from __future__ import annotations

import math
import uuid
from typing import Any

import streamlit as st

from crm.actors import Actor
from crm.lookups import TerritoryView, list_territories
from crm.territories import RulePreview
from models.domain import ROLES
from ui import lookups
from ui.format import escape, moment, title_case
from ui.resources import sessions

RULE_COLUMNS = (
    "name", "countries", "regions", "industries", "employee_min", "employee_max", "revenue_min", "revenue_max",
)  # fmt: skip
TEXT_RULE_COLUMNS = ("name", "countries", "regions", "industries")
USER_LABELS = {"email": "Email", "password": "Password", "role": "Role", "manager": "Manager", "name": "Name"}


def require_admin(actor: Actor) -> None:
    """Stop the page for anyone but an admin."""
    if actor.role != "admin":
        st.error("This page is for admins.")
        st.stop()


def user_table(users: list[Any]) -> None:
    """Every user with role, team lead, status and last sign-in."""
    st.dataframe(
        [
            {
                "Name": u.name,
                "Email": u.email,
                "Role": title_case(u.role),
                "Manager": lookups.person_name(u.manager_id) if u.manager_id else "",
                "Active": u.is_active,
                "Last sign-in": moment(u.last_login_at) if u.last_login_at else "never",
            }
            for u in users
        ],
        hide_index=True,
        width="stretch",
    )


def form_round(form: str) -> int:
    """How many times ``form`` was cleared after a success (its widget keys carry this number)."""
    return int(st.session_state.get(f"{form}_round", 0))


def clear_form(form: str) -> None:
    """Empty ``form`` after a success: its widgets get new keys, so no value (a password) stays in the browser.

    (Deleting a submitted form's widget state is not enough: the browser keeps and re-sends what it shows.)
    """
    st.session_state[f"{form}_round"] = form_round(form) + 1


def new_user_form() -> dict[str, Any] | None:
    """Email, name, role, first password, manager and territory of a new user (emptied after each success)."""
    managers = [p for p in lookups.people().values() if p.role == "manager" and p.is_active]
    n = form_round("new_user")
    with st.form(f"new_user_{n}", clear_on_submit=False):
        c1, c2, c3 = st.columns(3)
        values = {
            "email": c1.text_input("Email", key=f"nu_email_{n}"),
            "name": c2.text_input("Name", key=f"nu_name_{n}"),
            "role": c3.selectbox("Role", ROLES, format_func=title_case, key=f"nu_role_{n}"),
            "password": c1.text_input("First password", type="password", key=f"nu_password_{n}"),
            "manager_email": c2.selectbox(
                "Manager", [None, *[m.email for m in managers]], key=f"nu_manager_{n}",
                format_func=lambda e: "No manager" if e is None else e,
            ),
            "territory_name": c3.text_input("Territory (created when new)", key=f"nu_territory_{n}"),
        }  # fmt: skip
        if not st.form_submit_button("Create user", key=f"nu_submit_{n}", type="primary"):
            return None
    return {k: (v.strip() if isinstance(v, str) else v) or None for k, v in values.items()} | {
        "password": values["password"] or ""
    }


def manage_user_forms(users: list[Any], actor: Actor) -> tuple[str, uuid.UUID, Any] | None:
    """Choose a user, then change their role, (de)activate them or reset their password."""
    others = {u.id: u for u in users if u.id != actor.id}
    if not others:
        return None
    chosen = st.selectbox(
        "User", list(others), key="mu_user", format_func=lambda i: f"{others[i].name} · {others[i].email}"
    )
    target = others[chosen]
    c1, c2, c3 = st.columns(3)
    with c1.form("mu_role"):
        role = st.selectbox("New role", ROLES, index=ROLES.index(target.role), format_func=title_case, key="mu_role_v")
        if st.form_submit_button("Change role", key="mu_role_submit"):
            return ("role", target.id, role)
    n = form_round("mu_password")
    with c2.form(f"mu_password_{n}"):
        password = st.text_input("New password", type="password", key=f"mu_password_v{n}")
        if st.form_submit_button("Reset password", key=f"mu_password_submit_{n}"):
            return ("password", target.id, password)
    with c3.form("mu_active"):
        st.caption(f"{escape(target.name)} is {'active' if target.is_active else 'deactivated'}.")
        label = "Deactivate user" if target.is_active else "Activate user"
        if st.form_submit_button(label, key="mu_active_submit"):
            return ("deactivate" if target.is_active else "activate", target.id, None)
    return None


def territories() -> list[TerritoryView]:
    """Every territory with its rules (read fresh: admins edit them here)."""
    with sessions()() as session:
        return list_territories(session=session)


def rules_editor(territory: TerritoryView) -> tuple[list[dict[str, Any]], int]:
    """An editable table of the territory's rules (one row a rule) and its priority."""
    rows = [
        {c: "" if rule.get(c) is None and c in TEXT_RULE_COLUMNS else _cell(rule.get(c)) for c in RULE_COLUMNS}
        for rule in territory.rules
    ]
    empty = {c: ("" if c in TEXT_RULE_COLUMNS else None) for c in RULE_COLUMNS}
    edited = st.data_editor(
        rows or [empty],
        num_rows="dynamic",
        placeholder="Any",  # an empty bound means any value (never shown as "None")
        key=f"rules_{territory.id}_{territory.version}",
        width="stretch",
        column_config={
            "name": st.column_config.TextColumn("Rule name"),
            "countries": st.column_config.TextColumn("Countries", help="ISO codes or names, comma-separated"),
            "regions": st.column_config.TextColumn("Regions", help="e.g. EMEA, APAC, North America, LATAM"),
            "industries": st.column_config.TextColumn("Industries", help="comma-separated"),
            "employee_min": st.column_config.NumberColumn("Employees from", min_value=0),
            "employee_max": st.column_config.NumberColumn("Employees to", min_value=0),
            "revenue_min": st.column_config.NumberColumn("Revenue from", min_value=0),
            "revenue_max": st.column_config.NumberColumn("Revenue to", min_value=0),
        },
    )
    priority = st.number_input(
        "Priority (higher wins when territories overlap)", value=territory.priority, step=10,
        key=f"priority_{territory.id}_{territory.version}",
    )  # fmt: skip
    records = edited.to_dict("records") if hasattr(edited, "to_dict") else list(edited)
    rules = [
        r for r in ({k: _value(v) for k, v in row.items()} for row in records) if any(v is not None for v in r.values())
    ]
    return [{k: v for k, v in r.items() if v is not None} for r in rules], int(priority)


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value.strip() or None
    return value


def preview_result(result: RulePreview, *, applied: bool) -> None:
    """How many open leads move (or would move), and from where to where."""
    verb = "moved" if applied else "would move"
    text = f"{result.leads_moving:,} of {result.leads_checked:,} open leads {verb}."
    (st.success if applied else st.info)(text)
    if result.moves:
        st.dataframe(
            [{"From": m.from_territory, "To": m.to_territory, "Leads": m.count} for m in result.moves],
            hide_index=True,
            width="stretch",
        )
