"""Users, roles and teams: create, find, authenticate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.errors import AuthenticationFailed, DomainError, NotFound, ValidationFailed
from crm.security import DUMMY_HASH, MIN_PASSWORD_LENGTH, hash_password, verify_password
from models import Team, Territory, User
from models.domain import ROLES


@dataclass(frozen=True)
class NewUser:
    """Input for :func:`create_user`."""

    email: str
    password: str
    role: str
    name: str | None = None
    manager_email: str | None = None
    territory_name: str | None = None


def normalize_email(email: str, *, field: str = "email") -> str:
    """Return the email trimmed and checked for shape (no DNS look-up); raise naming the field."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValidationFailed([(field, f"not a valid email address ({exc})")]) from None


def find_user_by_email(session: Session, email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(*, session: Session, data: NewUser) -> User:
    """Create a user; a manager's reports join the manager's team (created on demand)."""
    errors: list[tuple[str, str]] = []
    if data.role not in ROLES:
        errors.append(("role", f"must be one of {', '.join(ROLES)}"))
    if len(data.password) < MIN_PASSWORD_LENGTH:
        errors.append(("password", f"must be at least {MIN_PASSWORD_LENGTH} characters"))
    try:
        email = normalize_email(data.email)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        email = data.email
    if errors:
        raise ValidationFailed(errors)
    existing = find_user_by_email(session, email)
    if existing is not None:
        raise DomainError(f"A user with email {email} already exists", field="email")

    user = User(
        id=uuid.uuid4(),
        email=email,
        name=(data.name or email.split("@")[0]).strip(),
        role=data.role,
        password_hash=hash_password(data.password),
    )
    if data.manager_email:
        manager = find_user_by_email(session, data.manager_email)
        if manager is None:
            raise NotFound(f"No user with email {data.manager_email}", field="manager")
        user.manager_id = manager.id
        user.team_id = ensure_team_for_manager(session, manager).id
    if data.territory_name:
        territory = session.scalar(select(Territory).where(func.lower(Territory.name) == data.territory_name.lower()))
        if territory is None:
            territory = Territory(id=uuid.uuid4(), name=data.territory_name)
            session.add(territory)
            session.flush()
        user.territory_id = territory.id
    session.add(user)
    session.flush()
    if user.role == "manager" and user.team_id is None:
        user.team_id = ensure_team_for_manager(session, user).id
        session.flush()
    return user


def ensure_team_for_manager(session: Session, manager: User) -> Team:
    """The team led by ``manager``, created (named after them) when missing."""
    team = session.scalar(select(Team).where(Team.manager_id == manager.id))
    if team is None:
        team = Team(id=uuid.uuid4(), name=f"{manager.name}'s team", manager_id=manager.id)
        session.add(team)
        session.flush()
        if manager.team_id is None:
            manager.team_id = team.id
    return team


def authenticate(*, session: Session, email: str, password: str) -> User:
    """Return the active user with these credentials; one message for every failure."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        verify_password(DUMMY_HASH, password)  # same cost as a real check: no user enumeration
        raise AuthenticationFailed("Email or password is incorrect")
    if not verify_password(user.password_hash, password):
        raise AuthenticationFailed("Email or password is incorrect")
    user.last_login_at = func.now()
    session.flush()
    return user
