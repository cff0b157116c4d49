"""The Import page: column mapping prefilled from headers, preview, dry run, import, error report (AppTest)."""

from __future__ import annotations

import json

from sqlalchemy import text

CSV = (
    b"First Name,Last Name,Email Address,Company\n"
    b"Ada,Lovelace,ada@example.com,Analytical\n"
    b"Bad,Row,not-an-email,Nowhere\n"
    b"Alan,Turing,alan@example.com,Bletchley\n"
)


def _upload(at, data=CSV, mapping=None):
    at.file_uploader(key="import_file").set_value(("leads.csv", data, "text/csv"))
    if mapping is not None:
        at.file_uploader(key="import_mapping_file").set_value(
            ("mapping.json", json.dumps(mapping).encode(), "application/json")
        )
    return at.run()


def _lead_count(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM leads"))


def test_mapping_is_prefilled_from_the_headers_and_previewed(clean_db, people, app_as):
    at = _upload(app_as(people["leo"], "pages/import_data.py"))
    assert not at.exception
    chosen = {s.label: s.value for s in at.selectbox if s.value is not None}
    assert chosen == {
        "first_name": "First Name",
        "last_name": "Last Name",
        "email": "Email Address",
        "company": "Company",
    }
    assert at.dataframe[0].value["email"].tolist()[0] == "ada@example.com"
    assert "1 of the first 3 rows have problems" in at.warning[0].value


def test_dry_run_reports_bad_rows_and_changes_nothing(clean_db, people, app_as):
    at = _upload(app_as(people["leo"], "pages/import_data.py"))
    at.checkbox(key="import_skip_bad_rows").check()
    at.button(key="import_dry_run").click().run()
    assert "dry run: nothing changed" in at.info[-1].value
    assert {m.label: m.value for m in at.metric}["Bad rows"] == "1"
    errors = at.dataframe[-1].value
    assert errors["Row"].tolist() == [3] and errors["Field"].tolist() == ["email"]
    assert at.get("download_button")[0].proto.label == "Download error report"
    assert _lead_count(clean_db) == 0


def test_import_keeps_good_rows_when_skipping_bad_ones(clean_db, people, app_as):
    at = _upload(app_as(people["leo"], "pages/import_data.py"))
    at.checkbox(key="import_skip_bad_rows").check()
    at.button(key="import_run").click().run()
    assert "committed" in at.success[0].value
    assert _lead_count(clean_db) == 2


def test_an_uploaded_mapping_file_sets_columns_and_defaults(clean_db, people, app_as):
    data = b"Mail,Surname,Stage\nx@example.com,X,Open\n"
    mapping = {
        "columns": {"email": "Mail", "last_name": "Surname", "status": "Stage"},
        "values": {"status": {"Open": "new"}},
        "defaults": {"source": "webinar"},
    }
    at = _upload(app_as(people["leo"], "pages/import_data.py"), data, mapping)
    assert at.selectbox(key=next(s.key for s in at.selectbox if s.label == "status")).value == "Stage"
    at.button(key="import_run").click().run()
    with clean_db.connect() as conn:
        assert conn.execute(text("SELECT email, status, source FROM leads")).one() == (
            "x@example.com",
            "new",
            "webinar",
        )


def test_accounts_import_from_the_page_maps_revenue_in_millions(clean_db, people, app_as):
    at = app_as(people["leo"], "pages/import_data.py")
    at.radio(key="import_entity").set_value("accounts").run()
    at = _upload(at, data=b"Account,Sector,Revenue\nAcme Corp,software,12.5\n")
    assert not at.exception
    chosen = {s.label: s.value for s in at.selectbox if s.value is not None}
    assert chosen["name"] == "Account"
    assert chosen["annual_revenue"] == "Revenue"  # the usual reading; this file gives millions
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "annual_revenue")).set_value(None)
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "annual_revenue_millions")).set_value("Revenue")
    at.selectbox(key=next(s.key for s in at.selectbox if s.label == "industry")).set_value("Sector")
    at.run()
    at.button(key="import_run").click().run()
    assert not at.exception
    with clean_db.connect() as conn:
        row = conn.execute(text("SELECT name, industry, annual_revenue FROM accounts")).one()
    assert (row.name, row.industry, float(row.annual_revenue)) == ("Acme Corp", "software", 12_500_000.0)


def test_a_png_named_csv_gets_one_sentence_and_no_mapping(clean_db, people, app_as):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    at = _upload(app_as(people["leo"], "pages/import_data.py"), png)
    assert not at.exception
    assert [e.value for e in at.error] == [
        "This file is not a CSV text file (it looks like a PNG image): export the data as CSV and use that file."
    ]
    assert not at.selectbox and not at.dataframe


def test_the_preview_says_how_the_file_was_read_and_shows_bad_values_as_written(clean_db, people, app_as):
    data = "Email;Last Name;Company\nzoe@example.com;Müller;Café\nnot-an-email;Núñez;Niño\n".encode("cp1252")
    at = _upload(app_as(people["leo"], "pages/import_data.py"), data)
    assert not at.exception
    assert "Read as Windows-1252 text, columns separated by semicolons (;)." in [c.value for c in at.caption]
    rows = at.dataframe[0].value
    assert rows["email"].tolist() == ["zoe@example.com", "not-an-email"]
    assert rows["last_name"].tolist() == ["Müller", "Núñez"]
    assert "email:" in rows["problems"].tolist()[1]


def test_a_refused_import_points_at_the_checkbox_not_a_command_line_flag(clean_db, people, app_as):
    at = _upload(app_as(people["leo"], "pages/import_data.py"))
    at.button(key="import_run").click().run()
    message = at.error[0].value
    assert "tick 'Skip bad rows'" in message and "--" not in message
    assert _lead_count(clean_db) == 0
