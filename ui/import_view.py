"""Import page pieces: the column-mapping editor, the preview, progress and the results with error report."""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from crm.actors import Actor
from crm.errors import DomainError
from crm.importing import FIELDS, KEYS, ImportReport, import_csv, preview, suggest_columns
from crm.importing.source import RecordReader, open_source
from ui.resources import sessions

NOT_IN_FILE = None


def uploaded_mapping(upload: Any) -> dict[str, Any] | None:
    """The uploaded mapping JSON as a dict (None when none was uploaded); a bad file is reported."""
    if upload is None:
        return None
    try:
        data = json.loads(upload.getvalue().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        st.error(f"Mapping file: not valid JSON ({exc}).")
        return None
    if not isinstance(data, dict):
        st.error("Mapping file: must be a JSON object with columns, values, defaults, key.")
        return None
    return data


PAGE_SKIP_HINT = "tick 'Skip bad rows' to import the good rows only"


def sentence(message: object) -> str:
    """A service message as a sentence on the page: capital first letter, full stop."""
    text = str(message).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def file_header(data: bytes) -> list[str] | None:
    """The CSV header row (None, with the reason in one sentence, when the file cannot be read)."""
    try:
        source = open_source(data)
        try:
            return list(RecordReader(source).header)
        finally:
            source.close()
    except DomainError as exc:
        st.error(sentence(exc))
        return None


def mapping_editor(header: list[str], entity: str, base: dict[str, Any] | None, file_key: str) -> dict[str, Any]:
    """One selectbox per field, prefilled from the mapping file or the headers; returns the mapping to use."""
    start = dict((base or {}).get("columns") or {}) or suggest_columns(header, entity)
    options = [NOT_IN_FILE, *header]
    columns: dict[str, str] = {}
    st.subheader("Column mapping")
    st.caption("Which column of the file holds each field. Fields left empty are not imported.")
    grid = st.columns(3)
    for i, field in enumerate(FIELDS[entity]):
        key = f"import_col_{file_key}_{entity}_{field}"
        if key not in st.session_state:
            st.session_state[key] = start.get(field) if start.get(field) in header else NOT_IN_FILE
        choice = grid[i % 3].selectbox(
            field, options, key=key, format_func=lambda h: "— not in file —" if h is None else h,
            placeholder="— not in file —",
        )  # fmt: skip
        if choice is not None:
            columns[field] = choice
    keys = KEYS[entity]
    base_key = (base or {}).get("key")
    key_field = st.radio(
        "Match existing records by",
        keys,
        index=keys.index(base_key) if base_key in keys else 0,
        horizontal=True,
        key=f"import_key_{entity}",
        help="Rows whose key matches an existing record update it instead of creating a duplicate.",
    )
    mapping = {k: v for k, v in (base or {}).items() if k in ("values", "defaults", "date_order")}
    mapping.update(columns=columns, key=key_field)
    return mapping


def show_preview(data: bytes, mapping: dict[str, Any], entity: str) -> bool:
    """The first rows as the importer reads them, and their problems; False when the mapping is unusable."""
    try:
        result = preview(data, mapping, entity, n=10)
    except DomainError as exc:
        if exc.field in KEYS[entity] and "has no column" in str(exc):
            st.error(
                f"No column is mapped to {exc.field}, which matches rows to existing records: pick its column "
                "under Column mapping, or choose another key under 'Match existing records by'."
            )
        else:
            st.error(sentence(exc))
        return False
    st.subheader("Preview")
    st.caption(f"Read as {result.read_as}.")
    for note in result.notes:
        st.info(sentence(note))
    if result.ignored:
        st.caption("Columns not imported: " + ", ".join(result.ignored))
    st.dataframe(result.rows, hide_index=True, width="stretch")
    if result.errors:
        bad_rows = len({e.row_number for e in result.errors})
        st.warning(
            f"{bad_rows} of the first {len(result.rows)} rows have problems (bad values are shown as written in "
            "the file). Fix them in the file, or tick 'Skip bad rows' to import the good rows only."
        )
        st.dataframe(_error_rows(result.errors), hide_index=True, width="stretch")
    return True


def run_import(
    actor: Actor, data: bytes, mapping: dict[str, Any], entity: str, *, dry_run: bool, skip_bad_rows: bool
) -> ImportReport | None:
    """Run (or rehearse) the import with a progress bar; returns its report."""
    bar = st.progress(0.0, text="Reading the file…")

    def progress(done: int, total: int | None) -> None:
        fraction = min(1.0, done / total) if total else 0.0
        bar.progress(fraction, text=f"{done:,} rows read" + (f" of about {total:,}" if total else ""))

    try:
        with sessions().begin() as session:
            report = import_csv(
                session=session,
                actor=actor,
                entity=entity,
                source=data,
                mapping=mapping,
                dry_run=dry_run,
                skip_bad_rows=skip_bad_rows,
                progress=progress,
            )
    except DomainError as exc:
        bar.empty()
        st.error(sentence(exc))
        return None
    bar.progress(1.0, text="Done")
    return report


def show_report(report: ImportReport) -> None:
    """What the import did, and the downloadable error report."""
    if report.committed:
        st.success(report.summary(skip_hint=PAGE_SKIP_HINT))
    elif report.dry_run:
        st.info(report.summary(skip_hint=PAGE_SKIP_HINT))
    else:
        st.error(report.summary(skip_hint=PAGE_SKIP_HINT))
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Rows read", f"{report.rows_read:,}")
    c2.metric("New" if report.committed else "Would be new", f"{report.inserted:,}")
    c3.metric("Updated" if report.committed else "Would update", f"{report.updated:,}")
    c4.metric("Unchanged", f"{report.unchanged:,}")
    c5.metric("Bad rows", f"{report.rows_rejected:,}")
    if report.error_count:
        st.dataframe(_error_rows(report.errors), hide_index=True, width="stretch")
        st.download_button(
            "Download error report",
            data=report.errors_csv(),
            file_name=f"{report.entity}-import-errors.csv",
            mime="text/csv",
            key="import_errors_csv",
            icon=":material/download:",
        )


def _error_rows(errors: list[Any]) -> list[dict[str, Any]]:
    return [{"Row": e.row_number, "Field": e.field, "Value": e.value, "Problem": e.reason} for e in errors]
