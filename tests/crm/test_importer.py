"""The CSV importer: mapping, validation, upsert, all-or-nothing, history, and every kind of bad input."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from core.db import session_factory
from crm.actors import SYSTEM_ACTOR, Actor
from crm.errors import PermissionDenied
from crm.importing import (
    InvalidImportFile,
    InvalidMapping,
    import_command,
    import_csv,
    load_mapping,
    preview,
    suggest_columns,
)
from crm.users import NewUser, create_user
from models import Territory
from tests.crm.import_support import run_import

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
OPPORTUNITY_MAPPING = {
    "columns": {
        "external_id": "Deal ID",
        "name": "Deal",
        "account_name": "Company",
        "amount": "Value",
        "stage": "Stage",
        "created_at": "Opened",
        "closed_at": "Closed",
        "lead_email": "Lead Email",
    },
    "values": {"stage": {"Won": "closed_won", "Lost": "closed_lost", "Open": "discovery"}},
}


def state(engine: Engine) -> tuple[Any, ...]:
    """A fingerprint of every table an import may touch (counts, versions, last update)."""
    with engine.connect() as conn:
        return tuple(
            conn.execute(text(q)).one()
            for q in (
                "SELECT count(*), coalesce(sum(version), 0), max(updated_at) FROM leads",
                "SELECT count(*), coalesce(sum(version), 0), max(updated_at) FROM opportunities",
                "SELECT count(*), max(updated_at) FROM opportunity_stage_history",
                "SELECT count(*) FROM accounts",
                "SELECT count(*) FROM audit_log",
            )
        )


def leads(engine: Engine) -> dict[str, dict[str, Any]]:
    """Every lead by email."""
    with engine.connect() as conn:
        return {r["email"]: dict(r) for r in conn.execute(text("SELECT * FROM leads")).mappings()}


def run(engine: Engine, name: str, entity: str = "leads", **kwargs: Any) -> Any:
    return run_import(engine, entity=entity, source=FIXTURES / name, **kwargs)


@pytest.fixture
def rep(clean_db: Engine) -> Actor:
    """A rep (other@corp.example) as an importing actor."""
    with session_factory(clean_db).begin() as session:
        other = create_user(
            session=session,
            data=NewUser(email="other@corp.example", password="long-enough-password", role="rep"),
            actor=SYSTEM_ACTOR,
        )
        return Actor(id=other.id, email=other.email, name=other.name, role="rep")


@pytest.fixture
def routed(clean_db: Engine) -> dict[str, Any]:
    """A North America territory with one rep, so new leads from the US are routed to them."""
    with session_factory(clean_db).begin() as s:
        territory = Territory(id=uuid.uuid4(), name="North America", rules=[{"countries": ["US"]}])
        s.add(territory)
        s.flush()
        rep = create_user(
            session=s,
            data=NewUser(email="rep@corp.example", password="long-enough-password", role="rep", name="Rita Rep"),
            actor=SYSTEM_ACTOR,
        )
        rep.territory_id = territory.id
        return {"territory_id": territory.id, "rep_id": rep.id}


def test_import_without_mapping_stores_scores_and_routes_new_leads(clean_db: Engine, routed: dict[str, Any]) -> None:
    report = run(clean_db, "leads_basic.csv")

    assert (report.rows_read, report.inserted, report.updated, report.error_count) == (3, 3, 0, 0)
    assert report.committed
    stored = leads(clean_db)
    john = stored["john.doe@example.com"]
    assert john["status"] == "qualified"  # "Qualified" matched case-insensitively
    assert john["employee_count"] == 500 and john["annual_revenue"] == Decimal("50000000.00")
    assert 80 <= john["score"] <= 100
    assert john["territory_id"] == routed["territory_id"] and john["owner_id"] == routed["rep_id"]
    assert john["created_at"] == datetime(2024, 1, 3, tzinfo=UTC)
    assert stored["maria.silva@example.com"]["created_at"] == datetime(2024, 2, 10, 9, 30, tzinfo=UTC)
    assert stored["wei.chen@example.com"]["status"] == "new"  # blank status: the default
    assert stored["wei.chen@example.com"]["territory_id"] is None


def test_reimporting_the_same_file_changes_nothing(clean_db: Engine, routed: dict[str, Any]) -> None:
    run(clean_db, "leads_basic.csv")
    before = state(clean_db)

    again = run(clean_db, "leads_basic.csv")

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert state(clean_db)[:4] == before[:4]  # same rows, versions and updated_at (one more audit row)


def test_reimport_with_a_changed_value_updates_only_that_lead(clean_db: Engine, tmp_path: Path) -> None:
    run(clean_db, "leads_basic.csv")
    changed = (FIXTURES / "leads_basic.csv").read_text().replace("Qualified,85", "Qualified,20")
    (tmp_path / "changed.csv").write_text(changed)

    report = run_import(clean_db, entity="leads", source=tmp_path / "changed.csv")

    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 2)
    john = leads(clean_db)["john.doe@example.com"]
    assert john["engagement_score"] == 20 and john["version"] == 2 and john["score"] < 60


def test_mapping_renames_columns_translates_values_and_fills_defaults(clean_db: Engine) -> None:
    data = b"Lead No,E-mail,Land,Won?\n7,a@example.com,Select,1\n8,b@example.com,Germany,0\n"
    mapping = {
        "columns": {"external_id": "Lead No", "email": "E-mail", "country": "Land", "status": "Won?"},
        "values": {"country": {"select": None}, "status": {"1": "converted", "0": "new"}},
        "defaults": {"source": "webinar"},
        "key": "external_id",
    }

    report = run_import(clean_db, entity="leads", source=data, mapping=mapping)

    assert report.inserted == 2 and report.error_count == 0
    a, b = leads(clean_db)["a@example.com"], leads(clean_db)["b@example.com"]
    assert a["external_id"] == "7" and a["country"] is None  # "Select" → missing (case-insensitive)
    assert a["status"] == "converted" and a["converted_at"] is not None
    assert b["status"] == "new" and b["source"] == "webinar" and b["country"] == "Germany"


def test_one_bad_row_rolls_back_everything_and_names_row_field_and_reason(clean_db: Engine) -> None:
    before = state(clean_db)

    report = run(clean_db, "leads_bad_row.csv")

    assert not report.committed and state(clean_db) == before
    assert report.rows_rejected == 1
    problems = {(e.row_number, e.field): e.reason for e in report.errors}
    assert set(problems) == {(3, "email"), (3, "status"), (3, "engagement_score")}
    assert "not a valid email" in problems[(3, "email")]
    assert "between 0 and 100" in problems[(3, "engagement_score")]
    assert "unknown value 'maybe'" in problems[(3, "status")]


def test_skip_bad_rows_keeps_the_good_rows_and_reports_the_bad(clean_db: Engine) -> None:
    report = run(clean_db, "leads_bad_row.csv", skip_bad_rows=True)

    assert report.committed and report.inserted == 2 and report.rows_rejected == 1
    assert set(leads(clean_db)) == {"ok.one@example.com", "ok.two@example.com"}


def test_dry_run_validates_and_counts_but_changes_nothing(clean_db: Engine) -> None:
    before = state(clean_db)

    report = run(clean_db, "leads_basic.csv", dry_run=True)

    assert report.inserted == 3 and not report.committed and state(clean_db) == before


def test_malformed_csv_is_refused_naming_the_row(clean_db: Engine) -> None:
    before = state(clean_db)

    with pytest.raises(InvalidImportFile, match="malformed CSV") as exc:
        run(clean_db, "malformed.csv")

    assert exc.value.row_number == 2
    assert state(clean_db) == before


def test_empty_file_is_refused(clean_db: Engine) -> None:
    before = state(clean_db)
    with pytest.raises(InvalidImportFile, match="empty"):
        run(clean_db, "empty.csv")
    with pytest.raises(InvalidImportFile, match="empty"):
        run_import(clean_db, entity="leads", source=b"\r\n\r\n")
    assert state(clean_db) == before


def test_unknown_columns_are_refused_without_a_mapping_and_ignored_with_one(clean_db: Engine) -> None:
    before = state(clean_db)
    with pytest.raises(InvalidImportFile, match=r"unknown column.*'emial_opt_in'") as exc:
        run(clean_db, "leads_unknown_column.csv")
    assert exc.value.field == "emial_opt_in" and state(clean_db) == before

    report = run(clean_db, "leads_unknown_column.csv", mapping={"columns": {}})

    assert report.inserted == 1 and "emial_opt_in" in " ".join(report.notes)


def test_mapping_naming_a_missing_column_or_field_is_refused(clean_db: Engine) -> None:
    with pytest.raises(InvalidImportFile, match="'E-mail Address'"):
        run(clean_db, "leads_basic.csv", mapping={"columns": {"email": "E-mail Address"}})
    with pytest.raises(InvalidMapping, match="'favourite_colour'"):
        run(clean_db, "leads_basic.csv", mapping={"columns": {"favourite_colour": "email"}})
    with pytest.raises(InvalidMapping, match="key"):
        load_mapping({"key": "phone"})
    with pytest.raises(InvalidMapping, match="not valid JSON"):
        load_mapping('{"columns": ')


def test_bom_file_reads_its_first_header(clean_db: Engine) -> None:
    report = run(clean_db, "leads_bom.csv")

    assert report.inserted == 1 and report.encoding == "utf-8-sig"
    assert leads(clean_db)["bom@example.com"]["company"] == "Café S.A."


def test_latin1_or_cp1252_file_is_decoded_with_a_note(clean_db: Engine) -> None:
    report = run(clean_db, "leads_cp1252.csv")

    assert report.inserted == 1 and report.encoding == "cp1252"
    assert any("not UTF-8" in note for note in report.notes)
    lead = leads(clean_db)["latin@example.com"]
    assert (lead["first_name"], lead["company"]) == ("José", "Café €uro")


def test_a_10_mb_field_is_a_row_error_not_a_crash(clean_db: Engine) -> None:
    before = state(clean_db)
    huge = "x" * (10 * 1024 * 1024)
    data = f"email,company\nbig@example.com,{huge}\n".encode()

    report = run_import(clean_db, entity="leads", source=data)

    assert not report.committed and state(clean_db) == before
    (error,) = report.errors
    assert (error.row_number, error.field) == (2, "company")
    assert "too long: 10485760 characters, at most 200" in error.reason
    assert len(report.errors_csv()) < 2000  # the report shortens the value


def test_dates_in_several_formats_with_day_first_proved_by_the_file(clean_db: Engine) -> None:
    report = run(clean_db, "leads_dates_dmy.csv")

    assert report.error_count == 0 and any("DD/MM/YYYY" in n for n in report.notes)
    created = {email: lead["created_at"] for email, lead in leads(clean_db).items()}
    assert created["d1@example.com"] == datetime(2017, 1, 3, 10, 0, tzinfo=UTC)
    assert created["d2@example.com"] == datetime(2023, 12, 31, tzinfo=UTC)
    assert created["d3@example.com"] == datetime(2023, 4, 3, tzinfo=UTC)  # 3 April: the file is day-first
    assert created["d4@example.com"] == datetime(2023, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert created["d5@example.com"] == datetime(2023, 7, 8, tzinfo=UTC)


def test_month_first_files_and_the_mapping_date_order(clean_db: Engine) -> None:
    run(clean_db, "leads_dates_mdy.csv")
    created = {email: lead["created_at"] for email, lead in leads(clean_db).items()}
    assert created["m1@example.com"] == datetime(2023, 12, 31, tzinfo=UTC)
    assert created["m2@example.com"] == datetime(2023, 3, 4, 14, 30, tzinfo=UTC)

    data = b"email,created_at\no1@example.com,03/04/2023\n"
    run_import(clean_db, entity="leads", source=data, mapping={"date_order": "mdy"})
    assert leads(clean_db)["o1@example.com"]["created_at"] == datetime(2023, 3, 4, tzinfo=UTC)


def test_a_file_mixing_day_and_month_first_reports_the_ambiguous_dates(clean_db: Engine) -> None:
    before = state(clean_db)

    report = run(clean_db, "leads_dates_mixed.csv")

    assert state(clean_db) == before
    (error,) = report.errors
    assert (error.row_number, error.field, error.value) == (4, "created_at", "03/04/2023")
    assert "ambiguous" in error.reason


def test_unreadable_date_is_a_row_error(clean_db: Engine) -> None:
    report = run_import(clean_db, entity="leads", source=b"email,created_at\na@x.com,next tuesday\n")

    (error,) = report.errors
    assert error.field == "created_at" and "not a valid date" in error.reason


def test_negative_amount_is_refused_and_nothing_changes(clean_db: Engine) -> None:
    before = state(clean_db)

    report = run(clean_db, "opportunities_negative.csv", entity="opportunities")

    assert not report.committed and state(clean_db) == before
    (error,) = report.errors
    assert (error.row_number, error.field, error.value) == (3, "amount", "-5")
    assert "must not be negative" in error.reason


def test_duplicate_keys_in_one_file_are_row_errors(clean_db: Engine) -> None:
    data = b"email,first_name\ndup@example.com,A\nDUP@example.com,B\n"

    report = run_import(clean_db, entity="leads", source=data, skip_bad_rows=True)

    assert report.inserted == 1
    (error,) = report.errors
    assert (error.row_number, error.field) == (3, "email") and "row 2" in error.reason


def test_email_owned_by_another_lead_is_a_row_error_when_the_key_is_external_id(clean_db: Engine) -> None:
    by_id = {"key": "external_id"}
    run_import(clean_db, entity="leads", source=b"external_id,email\nA-1,same@example.com\n")

    report = run_import(clean_db, entity="leads", source=b"external_id,email\nA-2,same@example.com\n", mapping=by_id)

    (error,) = report.errors
    assert error.field == "email" and "another lead (external_id A-1)" in error.reason


def test_owner_email_resolves_to_a_user_and_unknown_owners_are_errors(clean_db: Engine, routed: dict[str, Any]) -> None:
    data = b"email,owner_email\none@example.com,REP@corp.example\ntwo@example.com,nobody@corp.example\n"

    report = run_import(clean_db, entity="leads", source=data, skip_bad_rows=True)

    assert leads(clean_db)["one@example.com"]["owner_id"] == routed["rep_id"]
    (error,) = report.errors
    assert (error.row_number, error.field) == (3, "owner_email") and "no user" in error.reason


def test_error_report_is_csv_with_formula_cells_escaped(clean_db: Engine) -> None:
    report = run(clean_db, "formula.csv")

    rows = list(csv.reader(io.StringIO(report.errors_csv().decode("utf-8-sig"))))
    assert rows[0] == ["row_number", "field", "value", "reason"]
    values = {r[1]: r[2] for r in rows[1:]}
    assert values["email"] == '\'=HYPERLINK("http://evil")'
    assert values["engagement_score"] == "'-3"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_opportunities_get_accounts_lead_links_and_stage_history(clean_db: Engine) -> None:
    run(clean_db, "leads_basic.csv")

    report = run(clean_db, "opportunities_basic.csv", entity="opportunities", mapping=OPPORTUNITY_MAPPING)

    assert (report.inserted, report.error_count, report.accounts_created) == (3, 0, 2)
    with clean_db.connect() as conn:
        opps = {r["external_id"]: dict(r) for r in conn.execute(text("SELECT * FROM opportunities")).mappings()}
        history = conn.execute(
            text(
                "SELECT o.external_id, h.from_stage, h.to_stage, h.changed_at FROM opportunity_stage_history h "
                "JOIN opportunities o ON o.id = h.opportunity_id ORDER BY o.external_id, h.changed_at"
            )
        ).all()
        lead = conn.execute(text("SELECT * FROM leads WHERE email = 'john.doe@example.com'")).mappings().one()
    won, lost, open_ = opps["D-1"], opps["D-2"], opps["D-3"]
    assert won["stage"] == "closed_won" and won["amount"] == Decimal("12000.50")
    assert won["closed_at"] == datetime(2023, 3, 1, tzinfo=UTC)
    assert lost["lost_reason"] == "unspecified"
    assert open_["amount"] == Decimal("25000.00") and open_["closed_at"] is None
    assert won["account_id"] == open_["account_id"] != lost["account_id"]  # "Acme Corp" = "ACME CORP"
    assert [(h[0], h[1], h[2]) for h in history] == [
        ("D-1", None, "prospecting"),
        ("D-1", "prospecting", "closed_won"),
        ("D-2", None, "prospecting"),
        ("D-2", "prospecting", "closed_lost"),
        ("D-3", None, "prospecting"),
        ("D-3", "prospecting", "discovery"),
    ]
    assert history[0][3] == datetime(2023, 1, 10, tzinfo=UTC) and history[1][3] == won["closed_at"]
    assert history[4][3] == open_["created_at"] and history[5][3] > datetime(2026, 1, 1, tzinfo=UTC)  # the import
    assert lead["status"] == "converted" and lead["converted_opportunity_id"] == won["id"]


def test_reimporting_opportunities_writes_no_new_history_unless_the_stage_changes(
    clean_db: Engine, tmp_path: Path
) -> None:
    run(clean_db, "leads_basic.csv")
    run(clean_db, "opportunities_basic.csv", entity="opportunities", mapping=OPPORTUNITY_MAPPING)
    before = state(clean_db)

    again = run(clean_db, "opportunities_basic.csv", entity="opportunities", mapping=OPPORTUNITY_MAPPING)

    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert state(clean_db)[:4] == before[:4]

    moved = (FIXTURES / "opportunities_basic.csv").read_text().replace('"25,000",Open', '"25,000",Won')
    moved = moved.replace("Open,2023-04-01,,", "")
    (tmp_path / "moved.csv").write_text(moved)
    report = run_import(
        clean_db,
        entity="opportunities",
        source=tmp_path / "moved.csv",
        mapping=OPPORTUNITY_MAPPING,
    )
    assert report.updated == 1 and report.history_rows == 1
    with clean_db.connect() as conn:
        last = conn.execute(
            text(
                "SELECT h.from_stage, h.to_stage FROM opportunity_stage_history h JOIN opportunities o "
                "ON o.id = h.opportunity_id WHERE o.external_id = 'D-3' ORDER BY h.changed_at DESC LIMIT 1"
            )
        ).one()
    assert tuple(last) == ("discovery", "closed_won")


def test_open_stage_with_a_close_time_and_close_before_open_are_row_errors(clean_db: Engine) -> None:
    data = (
        b"external_id,name,stage,created_at,closed_at\n"
        b"E-1,Open but closed,negotiation,2023-01-01,2023-02-01\n"
        b"E-2,Backwards,closed_won,2023-03-01,2023-02-01\n"
    )

    report = run_import(clean_db, entity="opportunities", source=data)

    assert {(e.row_number, e.field) for e in report.errors} == {(2, "closed_at"), (3, "closed_at")}
    assert not report.committed


def test_import_in_a_callers_session_uses_a_savepoint(clean_db: Engine) -> None:
    with Session(clean_db) as session:
        session.execute(text("INSERT INTO accounts (name) VALUES ('Kept by the caller')"))
        report = import_csv(
            session=session, actor=SYSTEM_ACTOR, entity="leads", source=FIXTURES / "leads_bad_row.csv"
        )  # fails: its savepoint rolls back, the caller's work stays
        assert not report.committed
        ok = import_csv(session=session, actor=SYSTEM_ACTOR, entity="leads", source=FIXTURES / "leads_basic.csv")
        assert ok.committed
        session.commit()
    assert state(clean_db)[0][0] == 3 and state(clean_db)[3] == (1,)


def test_analysts_cannot_import(clean_db: Engine) -> None:
    analyst = Actor(id=uuid.uuid4(), email="a@corp.example", name="Ann", role="analyst")
    with pytest.raises(PermissionDenied):
        run(clean_db, "leads_basic.csv", actor=analyst)


def test_progress_is_reported_per_batch_and_ends_complete(clean_db: Engine) -> None:
    calls: list[tuple[int, int | None]] = []

    run(clean_db, "leads_basic.csv", progress=lambda done, total: calls.append((done, total)), batch_size=2)

    assert [done for done, _ in calls] == [2, 3, 3]
    assert calls[-1] == (3, 3)


def test_preview_shows_mapping_parsed_rows_and_errors_without_writing(clean_db: Engine) -> None:
    before = state(clean_db)

    shown = preview(FIXTURES / "leads_bad_row.csv", None, "leads", n=2)

    assert shown.columns["email"] == "email" and shown.key == "email"
    assert shown.rows[0]["email"] == "ok.one@example.com" and shown.rows[0]["problems"] == ""
    bad = shown.rows[1]  # a bad row shows its values as written, with its problems
    assert bad["row_number"] == 3 and bad["email"] == "not-an-email" and "email:" in bad["problems"]
    assert {e.field for e in shown.errors} == {"email", "status", "engagement_score"}
    assert state(clean_db) == before


def test_suggest_columns_matches_common_header_names() -> None:
    assert suggest_columns(["E-mail Address", "First Name", "Company Name", "Deal Stage"], "leads") == {
        "email": "E-mail Address",
        "first_name": "First Name",
        "company": "Company Name",
    }


def test_command_line_writes_the_error_report_and_exits_1_on_bad_rows(clean_db: Engine, tmp_path: Path) -> None:
    report_path = tmp_path / "errors.csv"

    code = import_command(
        entity="leads",
        path=FIXTURES / "leads_bad_row.csv",
        mapping_path=None,
        dry_run=False,
        skip_bad_rows=False,
        errors_path=report_path,
    )

    assert code == 1
    assert "3,email,not-an-email" in report_path.read_text(encoding="utf-8-sig")
    assert state(clean_db)[0][0] == 0


@pytest.mark.parametrize(
    ("name", "entity"),
    [
        ("maven_opportunities", "opportunities"),
        ("olist_leads", "leads"),
        ("olist_closed_deals", "opportunities"),
        ("x_education_leads", "leads"),
    ],
)
def test_committed_example_mappings_are_valid(name: str, entity: str) -> None:
    from crm.importing.mapping import check_mapping_fields

    mapping = load_mapping(Path(__file__).resolve().parents[2] / "examples" / f"{name}.json")

    check_mapping_fields(mapping, entity)
    assert mapping.key == "external_id" and "external_id" in mapping.columns


def test_a_rep_owns_the_leads_they_import_and_cannot_overwrite_other_reps_leads(
    clean_db: Engine, routed: dict[str, Any], rep: Actor
) -> None:
    run(clean_db, "leads_basic.csv")  # an admin-less CLI import: John is routed to Rita Rep
    data = b"email,company\njohn.doe@example.com,Changed Inc\nnew.lead@example.com,Mine Ltd\n"

    report = run_import(clean_db, entity="leads", source=data, actor=rep, skip_bad_rows=True)

    assert report.inserted == 1
    (error,) = report.errors
    assert (error.row_number, error.field) == (2, "email") and "permission denied" in error.reason
    stored = leads(clean_db)
    assert stored["new.lead@example.com"]["owner_id"] == rep.id
    assert stored["john.doe@example.com"]["company"] == "Acme Corp"


def test_accounts_import_by_name_fills_details_and_keeps_other_reps_accounts(clean_db: Engine, rep: Actor) -> None:
    first = (
        b"name,industry,annual_revenue_millions,employee_count,country\n"
        b"Acme Corp,software,12.5,120,Germany\n"
        b"Globex,retail,,40,US\n"
    )
    report = run_import(clean_db, entity="accounts", source=first)
    assert (report.inserted, report.error_count) == (2, 0)
    rows = "SELECT name, industry, annual_revenue, employee_count, country FROM accounts ORDER BY name"
    with clean_db.connect() as conn:
        assert [tuple(r) for r in conn.execute(text(rows))] == [
            ("Acme Corp", "software", Decimal("12500000.00"), 120, "Germany"),
            ("Globex", "retail", None, 40, "US"),
        ]

    # matched case-insensitively; blanks keep what is stored; bad cells name row, field and reason
    second = (
        b"name,industry,annual_revenue_millions,employee_count\nACME CORP,,13,\nGlobex,retail,-1,40\nacme corp,x,1,1\n"
    )
    bad = run_import(clean_db, entity="accounts", source=second)
    assert not bad.committed
    assert [(e.row_number, e.field) for e in bad.errors] == [(3, "annual_revenue_millions"), (4, "name")]
    assert "duplicate name: also in row 2" in bad.errors[1].reason
    fixed = run_import(clean_db, entity="accounts", source=second, skip_bad_rows=True)
    assert (fixed.updated, fixed.rows_rejected) == (1, 2)
    with clean_db.connect() as conn:
        assert tuple(conn.execute(text(rows)).first()) == (
            "Acme Corp",
            "software",
            Decimal("13000000.00"),
            120,
            "Germany",
        )

    mine = run_import(clean_db, entity="accounts", source=b"name\nInitech\n", actor=rep)
    assert mine.inserted == 1
    theirs = run_import(clean_db, entity="accounts", source=b"name,country\nGlobex,FR\n", actor=rep)
    assert theirs.error_count == 1 and "permission denied" in theirs.errors[0].reason
    with clean_db.connect() as conn:
        owner = conn.execute(text("SELECT owner_id FROM accounts WHERE name = 'Initech'")).scalar_one()
        assert owner == rep.id
        assert conn.execute(text("SELECT country FROM accounts WHERE name = 'Globex'")).scalar_one() == "US"
