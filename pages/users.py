"""Users (admins only): create users, change roles, deactivate, reset passwords."""

from __future__ import annotations

import streamlit as st

from crm.users import NewUser, activate_user, change_role, create_user, deactivate_user, list_users, reset_password
from ui import admin_views as views
from ui.calls import fetch, perform
from ui.flash import flash, show_flashes
from ui.lookups import forget_lookups
from ui.session import require_user

user = require_user()
views.require_admin(user)
st.title("Users")
show_flashes()

users = fetch(list_users, actor=user)
views.user_table(users)

st.subheader("New user")
if (values := views.new_user_form()) is not None and perform(
    create_user, data=NewUser(**values), actor=user, labels=views.USER_LABELS
) is not None:
    forget_lookups()
    views.clear_form("new_user")
    flash(f"User {values['email']} created.")
    st.rerun()

st.subheader("Change a user")
action = views.manage_user_forms(users, user)
if action is not None:
    kind, user_id, value = action
    done = {
        "role": lambda: perform(change_role, user_id=user_id, role=value, actor=user, labels=views.USER_LABELS),
        "password": lambda: perform(
            reset_password, user_id=user_id, new_password=value, actor=user, labels=views.USER_LABELS
        ),
        "deactivate": lambda: perform(deactivate_user, user_id=user_id, actor=user),
        "activate": lambda: perform(activate_user, user_id=user_id, actor=user),
    }[kind]()
    if done is not None:
        forget_lookups()
        if kind == "password":
            views.clear_form("mu_password")
        flash({"role": "Role changed.", "password": "Password reset.", "deactivate": "User deactivated.",
               "activate": "User activated."}[kind])  # fmt: skip
        st.rerun()
