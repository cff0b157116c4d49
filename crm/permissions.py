"""Who may see and change which records.

rep: their own records; manager: their team's (users whose team is the manager's team or who
report to the manager, and the manager's own); analyst: reads everything, writes nothing;
admin: everything. A refusal raises ``PermissionDenied("Permission denied.")`` before any change.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from crm.actors import Actor
from crm.errors import PermissionDenied
from models import User


def team_member_ids(*, session: Session, manager: Actor) -> set[uuid.UUID]:
    """The manager and everyone on their team or reporting to them."""
    conditions = [User.manager_id == manager.id]
    if manager.team_id is not None:
        conditions.append(User.team_id == manager.team_id)
    ids = set(session.scalars(select(User.id).where(or_(*conditions))))
    ids.add(manager.id)
    return ids


def visible_owner_ids(*, session: Session, actor: Actor) -> set[uuid.UUID] | None:
    """Owners whose records ``actor`` may read; None means every record."""
    if actor.role in ("admin", "analyst"):
        return None
    if actor.role == "manager":
        return team_member_ids(session=session, manager=actor)
    if actor.role == "rep":
        return {actor.id}
    return set()


def editable_owner_ids(*, session: Session, actor: Actor) -> set[uuid.UUID] | None:
    """Owners whose records ``actor`` may change; None means every record, empty means none."""
    if actor.role == "analyst":
        return set()
    return visible_owner_ids(session=session, actor=actor)


def can_view(actor: Actor, owner_id: uuid.UUID | None, *, session: Session) -> bool:
    """True when ``actor`` may read a record owned by ``owner_id``."""
    owners = visible_owner_ids(session=session, actor=actor)
    return owners is None or (owner_id is not None and owner_id in owners)


def ensure_can_view(actor: Actor, owner_id: uuid.UUID | None, *, session: Session) -> None:
    """Raise PermissionDenied unless ``actor`` may read a record owned by ``owner_id``."""
    if not can_view(actor, owner_id, session=session):
        raise PermissionDenied()


def ensure_can_edit(actor: Actor, owner_id: uuid.UUID | None, *, session: Session) -> None:
    """Raise PermissionDenied unless ``actor`` may change a record owned by ``owner_id``."""
    owners = editable_owner_ids(session=session, actor=actor)
    if owners is None:
        return
    if owner_id is None or owner_id not in owners:
        raise PermissionDenied()


def ensure_can_write(actor: Actor) -> None:
    """Raise PermissionDenied for read-only roles (analysts)."""
    if not actor.can_write:
        raise PermissionDenied()


def ensure_admin(actor: Actor) -> None:
    """Raise PermissionDenied unless ``actor`` is an admin."""
    if actor.role != "admin":
        raise PermissionDenied()


def ensure_manager_or_admin(actor: Actor) -> None:
    """Raise PermissionDenied unless ``actor`` is a manager or an admin."""
    if actor.role not in ("manager", "admin"):
        raise PermissionDenied()
