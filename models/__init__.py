"""SQLAlchemy 2 tables and pydantic schemas of the system of record; no workflow here."""

from models.api_tables import ApiKey, RevokedToken
from models.base import Base
from models.session_tables import SignInSession
from models.tables import (
    Account,
    AuditLog,
    DeletedRecord,
    Lead,
    Opportunity,
    OpportunityStageHistory,
    Quota,
    Team,
    Territory,
    User,
)

__all__ = [
    "Account",
    "ApiKey",
    "AuditLog",
    "Base",
    "DeletedRecord",
    "Lead",
    "Opportunity",
    "OpportunityStageHistory",
    "Quota",
    "RevokedToken",
    "SignInSession",
    "Team",
    "Territory",
    "User",
]
