"""Users, roles and teams: create, find, authenticate."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm import audit
from crm.actors import Actor
from crm.errors import AuthenticationFailed, DomainError, NotFound, ValidationFailed
from crm.permissions import ensure_admin
from crm.security import DUMMY_HASH, MIN_PASSWORD_LENGTH, hash_password, verify_password
from crm.territories import create_territory
from crm.throttle import clear_failed_sign_ins, ensure_sign_in_allowed, record_failed_sign_in
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


def create_user(*, session: Session, data: NewUser, actor: Actor) -> User:
    """Create a user (admin only, audited); a manager's reports join the manager's team (created on demand)."""
    ensure_admin(actor)
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
            territory = create_territory(session=session, name=data.territory_name, actor=actor)
        user.territory_id = territory.id
    session.add(user)
    session.flush()
    if user.role == "manager" and user.team_id is None:
        user.team_id = ensure_team_for_manager(session, user).id
        session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="user",
        entity_id=user.id,
        action="create",
        changes={"email": user.email, "name": user.name, "role": user.role, "manager_id": user.manager_id},
    )
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
    ensure_sign_in_allowed(session=session, email=email)  # TooManyAttempts after repeated failures
    user = find_user_by_email(session, email)
    if user is None or not user.is_active:
        verify_password(DUMMY_HASH, password)  # same cost as a real check: no user enumeration
        record_failed_sign_in(session=session, email=email)
        raise AuthenticationFailed("Email or password is incorrect")
    if not verify_password(user.password_hash, password):
        record_failed_sign_in(session=session, email=email)
        raise AuthenticationFailed("Email or password is incorrect")
    clear_failed_sign_ins(session=session, email=email)
    user.last_login_at = func.now()
    session.flush()
    return user


# --- user management (admin only) -------------------------------------------------------------


def _managed_user(session: Session, user_id: uuid.UUID, actor: Actor) -> User:
    ensure_admin(actor)
    user = session.scalar(
        select(User).where(User.id == user_id).with_for_update().execution_options(populate_existing=True)
    )
    if user is None:
        raise NotFound(f"No user with id {user_id}", field="user_id")
    return user


def deactivate_user(*, session: Session, user_id: uuid.UUID, actor: Actor) -> User:
    """Stop a user from signing in (admin only; an admin cannot deactivate themselves)."""
    user = _managed_user(session, user_id, actor)
    if user.id == actor.id:
        raise DomainError("You cannot deactivate your own account", field="user_id")
    return _set_active(session, user, active=False, actor=actor)


def activate_user(*, session: Session, user_id: uuid.UUID, actor: Actor) -> User:
    """Let a deactivated user sign in again (admin only)."""
    return _set_active(session, _managed_user(session, user_id, actor), active=True, actor=actor)


def _set_active(session: Session, user: User, *, active: bool, actor: Actor) -> User:
    if user.is_active != active:
        user.is_active = active
        session.flush()
        audit.record(
            session,
            actor=actor,
            entity_type="user",
            entity_id=user.id,
            action="activate" if active else "deactivate",
            changes={"is_active": [not active, active]},
        )
    return user


def change_role(*, session: Session, user_id: uuid.UUID, role: str, actor: Actor) -> User:
    """Give a user another role (admin only; an admin cannot change their own role)."""
    if role not in ROLES:
        raise ValidationFailed([("role", f"must be one of {', '.join(ROLES)}")])
    user = _managed_user(session, user_id, actor)
    if user.id == actor.id:
        raise DomainError("You cannot change your own role", field="role")
    if user.role != role:
        before = user.role
        user.role = role
        session.flush()
        if role == "manager" and user.team_id is None:
            user.team_id = ensure_team_for_manager(session, user).id
            session.flush()
        audit.record(
            session,
            actor=actor,
            entity_type="user",
            entity_id=user.id,
            action="change_role",
            changes={"role": [before, role]},
        )
    return user


def reset_password(*, session: Session, user_id: uuid.UUID, new_password: str, actor: Actor) -> User:
    """Set a new password for a user (admin only) and clear their failed sign-ins."""
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed([("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")])
    user = _managed_user(session, user_id, actor)
    user.password_hash = hash_password(new_password)
    session.flush()
    clear_failed_sign_ins(session=session, email=user.email)
    audit.record(session, actor=actor, entity_type="user", entity_id=user.id, action="reset_password", changes={})
    return user


def list_users(*, session: Session, actor: Actor) -> list[User]:
    """Every user, by name (admin only)."""
    ensure_admin(actor)
    return list(session.scalars(select(User).order_by(func.lower(User.name), User.email)))
