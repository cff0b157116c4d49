"""Import: upload a CSV of leads, opportunities or accounts, map its columns, preview, rehearse, then import."""

from __future__ import annotations

import streamlit as st

from ui import import_view
from ui.lookups import forget_lookups
from ui.session import require_user

user = require_user()
st.title("Import")
if not user.can_write:
    st.info("Your role reads data only; imports are for reps, managers and admins.")
    st.stop()

entity = st.radio(
    "What the file holds",
    ("leads", "opportunities", "accounts"),
    horizontal=True,
    key="import_entity",
    format_func=str.title,
)
left, right = st.columns(2)
upload = left.file_uploader("CSV file", type=["csv"], key="import_file")
mapping_upload = right.file_uploader("Mapping file (optional JSON)", type=["json"], key="import_mapping_file")
if upload is None:
    st.caption("Headers equal to our field names map themselves; other columns can be mapped below.")
    st.stop()

data = upload.getvalue()
header = import_view.file_header(data)
if header is None:
    st.stop()
mapping = import_view.mapping_editor(header, entity, import_view.uploaded_mapping(mapping_upload), upload.file_id)
if not import_view.show_preview(data, mapping, entity):
    st.stop()

skip_bad_rows = st.checkbox(
    "Skip bad rows (import the good rows, report the bad ones)", key="import_skip_bad_rows",
    help="Off: one bad row stops the whole import and nothing changes.",
)  # fmt: skip
left, right, _ = st.columns([1, 1, 4])
dry_run = left.button("Dry run", key="import_dry_run", help="Check every row; change nothing.")
real_run = right.button("Import", key="import_run", type="primary")
if dry_run or real_run:
    report = import_view.run_import(user, data, mapping, entity, dry_run=dry_run, skip_bad_rows=skip_bad_rows)
    if report is not None:
        st.session_state["import_report"] = report
        if report.committed:
            forget_lookups()
if (report := st.session_state.get("import_report")) is not None:
    st.subheader("Result")
    import_view.show_report(report)
