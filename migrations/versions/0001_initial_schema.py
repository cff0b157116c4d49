"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from models.tables import TOMBSTONED_TABLES, UNVERSIONED_TABLES, VERSIONED_TABLES

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deleted_records",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(length=63), nullable=False),
        sa.Column("record_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_records")),
    )
    op.create_index("ix_deleted_records_updated_at", "deleted_records", ["updated_at"], unique=False)
    op.create_table(
        "teams",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("manager_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_index(op.f("ix_teams_manager_id"), "teams", ["manager_id"], unique=False)
    op.create_table(
        "territories",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("region", sa.String(length=80), nullable=True),
        sa.Column(
            "rules", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False
        ),
        sa.Column("priority", sa.Integer(), server_default=sa.text("100"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territories")),
        sa.UniqueConstraint("name", name=op.f("uq_territories_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("manager_id", sa.UUID(), nullable=True),
        sa.Column("team_id", sa.UUID(), nullable=True),
        sa.Column("territory_id", sa.UUID(), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("email = btrim(email) AND email LIKE '%%_@_%%'", name=op.f("ck_users_email_shape")),
        sa.CheckConstraint("role IN ('rep', 'manager', 'analyst', 'admin')", name=op.f("ck_users_role_valid")),
        sa.ForeignKeyConstraint(
            ["manager_id"], ["users.id"], name=op.f("fk_users_manager_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_users_team_id_teams"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_users_territory_id_territories"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(op.f("ix_users_manager_id"), "users", ["manager_id"], unique=False)
    op.create_index(op.f("ix_users_team_id"), "users", ["team_id"], unique=False)
    op.create_index(op.f("ix_users_territory_id"), "users", ["territory_id"], unique=False)
    op.create_index("uq_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True)
    op.create_table(
        "accounts",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=200), nullable=True),
        sa.Column("industry", sa.String(length=80), nullable=True),
        sa.Column("employee_count", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("country", sa.String(length=80), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("territory_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "annual_revenue IS NULL OR annual_revenue >= 0", name=op.f("ck_accounts_annual_revenue_nonnegative")
        ),
        sa.CheckConstraint(
            "employee_count IS NULL OR employee_count >= 0", name=op.f("ck_accounts_employee_count_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_accounts_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_accounts_territory_id_territories"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("external_id", name=op.f("uq_accounts_external_id")),
    )
    op.create_index("ix_accounts_domain_lower", "accounts", [sa.literal_column("lower(domain)")], unique=False)
    op.create_index("ix_accounts_name_lower", "accounts", [sa.literal_column("lower(name)")], unique=False)
    op.create_index(op.f("ix_accounts_owner_id"), "accounts", ["owner_id"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column(
            "changes", postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_log_actor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_entity", "audit_log", ["entity_type", "entity_id", "created_at"], unique=False)
    op.create_table(
        "quotas",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default=sa.text("'USD'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_quotas_amount_nonnegative")),
        sa.CheckConstraint(
            "extract(day FROM period_start) = 1 AND extract(month FROM period_start) IN (1, 4, 7, 10)",
            name=op.f("ck_quotas_period_is_quarter_start"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_quotas_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotas")),
        sa.UniqueConstraint("user_id", "period_start", name=op.f("uq_quotas_user_id_period_start")),
    )
    op.create_table(
        "leads",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("industry", sa.String(length=80), nullable=True),
        sa.Column("employee_count", sa.Integer(), nullable=True),
        sa.Column("annual_revenue", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("country", sa.String(length=80), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=True),
        sa.Column("campaign", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=16), server_default=sa.text("'new'"), nullable=False),
        sa.Column("engagement_score", sa.Integer(), nullable=True),
        sa.Column("score", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("territory_id", sa.UUID(), nullable=True),
        sa.Column("territory_reason", sa.Text(), nullable=True),
        sa.Column("account_id", sa.UUID(), nullable=True),
        sa.Column("converted_opportunity_id", sa.UUID(), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "status <> 'converted' OR converted_at IS NOT NULL", name=op.f("ck_leads_converted_has_time")
        ),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'qualified', 'unqualified', 'converted')",
            name=op.f("ck_leads_status_valid"),
        ),
        sa.CheckConstraint(
            "annual_revenue IS NULL OR annual_revenue >= 0", name=op.f("ck_leads_annual_revenue_nonnegative")
        ),
        sa.CheckConstraint(
            "employee_count IS NULL OR employee_count >= 0", name=op.f("ck_leads_employee_count_nonnegative")
        ),
        sa.CheckConstraint(
            "engagement_score IS NULL OR engagement_score BETWEEN 0 AND 100", name=op.f("ck_leads_engagement_range")
        ),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name=op.f("ck_leads_score_range")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_leads_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_leads_owner_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_leads_territory_id_territories"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("external_id", name=op.f("uq_leads_external_id")),
    )
    op.create_index("ix_leads_created_at", "leads", ["created_at"], unique=False)
    op.create_index("ix_leads_owner_status", "leads", ["owner_id", "status"], unique=False)
    op.create_index(op.f("ix_leads_territory_id"), "leads", ["territory_id"], unique=False)
    op.create_index("ix_leads_updated_at", "leads", ["updated_at"], unique=False)
    op.create_index("uq_leads_email_lower", "leads", [sa.literal_column("lower(email)")], unique=True)
    op.create_table(
        "opportunities",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("external_id", sa.String(length=120), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=True),
        sa.Column("lead_id", sa.UUID(), nullable=True),
        sa.Column("owner_id", sa.UUID(), nullable=True),
        sa.Column("territory_id", sa.UUID(), nullable=True),
        sa.Column("stage", sa.String(length=16), server_default=sa.text("'prospecting'"), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=False),
        sa.Column("currency", sa.String(length=3), server_default=sa.text("'USD'"), nullable=False),
        sa.Column("probability", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("forecast_category", sa.String(length=16), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lost_reason", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "(stage IN ('closed_won', 'closed_lost')) = (closed_at IS NOT NULL)",
            name=op.f("ck_opportunities_closed_at_iff_closed"),
        ),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_opportunities_currency_iso")),
        sa.CheckConstraint(
            "forecast_category IS NULL OR forecast_category IN ('pipeline', 'best_case', 'commit', 'closed', 'omitted')",
            name=op.f("ck_opportunities_forecast_category_valid"),
        ),
        sa.CheckConstraint(
            "stage <> 'closed_lost' OR lost_reason IS NOT NULL", name=op.f("ck_opportunities_lost_has_reason")
        ),
        sa.CheckConstraint(
            "stage IN ('prospecting', 'discovery', 'proposal', 'negotiation', 'closed_won', 'closed_lost')",
            name=op.f("ck_opportunities_stage_valid"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_opportunities_amount_nonnegative")),
        sa.CheckConstraint(
            "probability IS NULL OR probability BETWEEN 0 AND 100", name=op.f("ck_opportunities_probability_range")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_opportunities_account_id_accounts"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f("fk_opportunities_lead_id_leads"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_opportunities_owner_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_opportunities_territory_id_territories"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
        sa.UniqueConstraint("external_id", name=op.f("uq_opportunities_external_id")),
    )
    op.create_index(op.f("ix_opportunities_account_id"), "opportunities", ["account_id"], unique=False)
    op.create_index(op.f("ix_opportunities_lead_id"), "opportunities", ["lead_id"], unique=False)
    op.create_index("ix_opportunities_owner_stage", "opportunities", ["owner_id", "stage"], unique=False)
    op.create_index("ix_opportunities_stage", "opportunities", ["stage"], unique=False)
    op.create_index("ix_opportunities_updated_at", "opportunities", ["updated_at"], unique=False)
    op.create_table(
        "opportunity_stage_history",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("opportunity_id", sa.UUID(), nullable=False),
        sa.Column("from_stage", sa.String(length=16), nullable=True),
        sa.Column("to_stage", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("expected_close_date", sa.Date(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("changed_by_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "from_stage IS NULL OR from_stage IN ('prospecting', 'discovery', 'proposal', 'negotiation', 'closed_won', 'closed_lost')",
            name=op.f("ck_opportunity_stage_history_from_stage_valid"),
        ),
        sa.CheckConstraint(
            "to_stage IN ('prospecting', 'discovery', 'proposal', 'negotiation', 'closed_won', 'closed_lost')",
            name=op.f("ck_opportunity_stage_history_to_stage_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_opportunity_stage_history_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_opportunity_stage_history_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_stage_history")),
    )
    op.create_index(
        "ix_opportunity_stage_history_opportunity_changed",
        "opportunity_stage_history",
        ["opportunity_id", "changed_at"],
        unique=False,
    )
    op.create_index(
        "ix_opportunity_stage_history_updated_at", "opportunity_stage_history", ["updated_at"], unique=False
    )
    # Foreign keys that close a cycle between tables are added once both tables exist.
    op.create_foreign_key(
        op.f("fk_teams_manager_id_users"), "teams", "users", ["manager_id"], ["id"], ondelete="SET NULL"
    )
    op.create_foreign_key(
        op.f("fk_leads_converted_opportunity_id_opportunities"),
        "leads",
        "opportunities",
        ["converted_opportunity_id"],
        ["id"],
        ondelete="SET NULL",
    )
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    op.drop_constraint(op.f("fk_leads_converted_opportunity_id_opportunities"), "leads", type_="foreignkey")
    op.drop_constraint(op.f("fk_teams_manager_id_users"), "teams", type_="foreignkey")
    op.drop_index("ix_opportunity_stage_history_updated_at", table_name="opportunity_stage_history")
    op.drop_index("ix_opportunity_stage_history_opportunity_changed", table_name="opportunity_stage_history")
    op.drop_table("opportunity_stage_history")
    op.drop_index("ix_opportunities_updated_at", table_name="opportunities")
    op.drop_index("ix_opportunities_stage", table_name="opportunities")
    op.drop_index("ix_opportunities_owner_stage", table_name="opportunities")
    op.drop_index(op.f("ix_opportunities_lead_id"), table_name="opportunities")
    op.drop_index(op.f("ix_opportunities_account_id"), table_name="opportunities")
    op.drop_table("opportunities")
    op.drop_index("uq_leads_email_lower", table_name="leads")
    op.drop_index("ix_leads_updated_at", table_name="leads")
    op.drop_index(op.f("ix_leads_territory_id"), table_name="leads")
    op.drop_index("ix_leads_owner_status", table_name="leads")
    op.drop_index("ix_leads_created_at", table_name="leads")
    op.drop_table("leads")
    op.drop_table("quotas")
    op.drop_index("ix_audit_log_entity", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_accounts_owner_id"), table_name="accounts")
    op.drop_index("ix_accounts_name_lower", table_name="accounts")
    op.drop_index("ix_accounts_domain_lower", table_name="accounts")
    op.drop_table("accounts")
    op.drop_index("uq_users_email_lower", table_name="users")
    op.drop_index(op.f("ix_users_territory_id"), table_name="users")
    op.drop_index(op.f("ix_users_team_id"), table_name="users")
    op.drop_index(op.f("ix_users_manager_id"), table_name="users")
    op.drop_table("users")
    op.drop_table("territories")
    op.drop_index(op.f("ix_teams_manager_id"), table_name="teams")
    op.drop_table("teams")
    op.drop_index("ix_deleted_records_updated_at", table_name="deleted_records")
    op.drop_table("deleted_records")


TOUCH_FUNCTIONS = """
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE FUNCTION touch_updated_at_and_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    IF TG_OP = 'UPDATE' THEN
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION record_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deleted_records (table_name, record_id) VALUES (TG_TABLE_NAME, OLD.id);
    RETURN OLD;
END $$;
"""


def _create_triggers() -> None:
    """updated_at (and version) kept by the database for every writer; deletes leave tombstones."""
    op.execute(TOUCH_FUNCTIONS)
    for table in VERSIONED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_touch BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION touch_updated_at_and_version()"
        )
    for table in UNVERSIONED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_touch BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION touch_updated_at()"
        )
    for table in TOMBSTONED_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_tombstone AFTER DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION record_deletion()"
        )


def _drop_triggers() -> None:
    for table in TOMBSTONED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_tombstone ON {table}")
    for table in VERSIONED_TABLES + UNVERSIONED_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_touch ON {table}")
    op.execute("DROP FUNCTION IF EXISTS record_deletion(), touch_updated_at_and_version(), touch_updated_at()")
