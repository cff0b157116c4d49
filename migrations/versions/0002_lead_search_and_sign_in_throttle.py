"""lead search (pg_trgm), duplicate-check and sort indexes, sign-in throttling table

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Must stay textually equivalent to crm.leads.SEARCH_EXPRESSION (the planner matches expressions).
SEARCH_EXPRESSION = (
    "lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' || "
    "coalesce(email, '') || ' ' || coalesce(company, ''))"
)


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Substring search on name, email and company: LIKE '%q%' served by a trigram GIN index.
    op.execute(f"CREATE INDEX ix_leads_search_trgm ON leads USING gin (({SEARCH_EXPRESSION}) gin_trgm_ops)")
    # Near-identical emails for the duplicate check (pg_trgm similarity operator %).
    op.execute("CREATE INDEX ix_leads_email_trgm ON leads USING gin ((lower(email)) gin_trgm_ops)")
    # Same phone (digits only) and same name + company for the duplicate check.
    op.execute("CREATE INDEX ix_leads_phone_digits ON leads ((regexp_replace(phone, '[^0-9]', '', 'g')))")
    op.execute("CREATE INDEX ix_leads_name_company ON leads (lower(last_name), lower(company))")
    # Default sort (hottest first), overall and per owner (a rep's own list).
    op.execute("CREATE INDEX ix_leads_score ON leads (score DESC NULLS LAST, id)")
    op.execute("CREATE INDEX ix_leads_owner_score ON leads (owner_id, score DESC NULLS LAST, id)")
    op.execute("CREATE INDEX ix_leads_status_score_desc ON leads (status, score DESC NULLS LAST, id)")

    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index("ix_sign_in_failures_email_key_failed_at", "sign_in_failures", ["email_key", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_email_key_failed_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    for name in (
        "ix_leads_status_score_desc",
        "ix_leads_owner_score",
        "ix_leads_score",
        "ix_leads_name_company",
        "ix_leads_phone_digits",
        "ix_leads_email_trgm",
        "ix_leads_search_trgm",
    ):
        op.execute(f"DROP INDEX IF EXISTS {name}")
