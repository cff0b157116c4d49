"""near-identical email duplicates use the lead search trigram index; drop the email-only one

Every lead write maintained two trigram GIN indexes; the email one served only the duplicate check, which
now asks the search index for leads whose search text contains something like the email (pg_trgm word
similarity, ``%>``). One trigram index less makes every lead insert and import cheaper.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_leads_email_trgm")


def downgrade() -> None:
    op.execute("CREATE INDEX ix_leads_email_trgm ON leads USING gin (lower(email) gin_trgm_ops)")
