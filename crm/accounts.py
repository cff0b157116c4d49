"""Accounts (companies): found by domain or name, or created, when a lead converts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import audit
from crm.actors import Actor
from crm.errors import NotFound, ValidationFailed
from crm.permissions import ensure_can_view
from models import Account

# Personal mailbox providers: their domain says nothing about the buyer's company.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "yandex.ru",
        "qq.com",
        "163.com",
    }
)


def company_domain(email: str | None) -> str | None:
    """The company domain of an email address (None for free-mail providers)."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    return None if not domain or domain in FREE_MAIL_DOMAINS else domain


def normalize_domain(domain: str | None) -> str | None:
    """``https://www.Acme.com/x`` → ``acme.com``."""
    if not domain:
        return None
    d = domain.strip().lower()
    for prefix in ("https://", "http://"):
        d = d.removeprefix(prefix)
    d = d.split("/", 1)[0].removeprefix("www.")
    return d or None


def find_account(*, session: Session, name: str | None, domain: str | None) -> Account | None:
    """The account with this domain, else with this name (both compared case-insensitively)."""
    domain = normalize_domain(domain)
    if domain:
        found = session.scalar(
            select(Account).where(func.lower(Account.domain) == domain).order_by(Account.created_at).limit(1)
        )
        if found is not None:
            return found
    if name and name.strip():
        return session.scalar(
            select(Account)
            .where(func.lower(Account.name) == name.strip().lower())
            .order_by(Account.created_at)
            .limit(1)
        )
    return None


def find_or_create_account(
    *,
    session: Session,
    name: str | None,
    domain: str | None,
    actor: Actor | None,
    details: dict[str, Any] | None = None,
) -> tuple[Account, bool]:
    """The matching account, or a new one built from ``details``; returns (account, created)."""
    existing = find_account(session=session, name=name, domain=domain)
    if existing is not None:
        return existing, False
    name = (name or "").strip() or normalize_domain(domain)
    if not name:
        raise ValidationFailed([("account_name", "is required when the lead has no company")])
    details = {k: v for k, v in (details or {}).items() if k in _DETAIL_FIELDS}
    account = Account(id=uuid.uuid4(), name=name, domain=normalize_domain(domain), **details)
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="account",
        entity_id=account.id,
        action="create",
        changes={"name": account.name, "domain": account.domain, **details},
    )
    return account, True


_DETAIL_FIELDS = ("industry", "employee_count", "annual_revenue", "country", "owner_id", "territory_id")


def get_account(*, session: Session, account_id: uuid.UUID, actor: Actor) -> Account:
    """One account the actor may see (reps and managers see accounts they or their team own)."""
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with id {account_id}", field="account_id")
    ensure_can_view(actor, account.owner_id, session=session)
    return account
