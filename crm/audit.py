"""Audit log: who changed what and when, one row per service write, in the same transaction."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from crm.actors import Actor
from models import AuditLog, User

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditEntry:
    """One line of a record's audit trail."""

    at: datetime
    actor_id: uuid.UUID | None
    actor_name: str
    action: str
    changes: dict[str, Any]


def to_json_value(value: Any) -> Any:
    """A JSON-safe copy of ``value`` (UUIDs, dates and decimals as strings)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_json_value(v) for v in value]
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, Decimal | float | int) and not isinstance(value, bool)


def same_value(old: Any, new: Any) -> bool:
    """True when two stored values are equal; numbers compare by value (``65.40`` equals ``65.4``)."""
    if _is_number(old) and _is_number(new):
        return Decimal(str(old)) == Decimal(str(new))
    return bool(to_json_value(old) == to_json_value(new))


def diff(before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str] | None = None) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields whose value really differs (numbers compared by value)."""
    keys = list(fields) if fields is not None else sorted(set(before) | set(after))
    return {
        k: [to_json_value(before.get(k)), to_json_value(after.get(k))]
        for k in keys
        if not same_value(before.get(k), after.get(k))
    }


def record(
    session: Session,
    *,
    actor: Actor | None,
    entity_type: str,
    entity_id: uuid.UUID,
    action: str,
    changes: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Append one audit row (flushed, not committed: it lives or dies with the caller's transaction)."""
    row = AuditLog(
        id=uuid.uuid4(),
        actor_id=None if actor is None or actor.is_system else actor.id,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        changes=to_json_value(dict(changes or {})),
        created_at=func.clock_timestamp(),  # ordered even within one transaction
    )
    session.add(row)
    session.flush()
    return row


def audit_trail(*, session: Session, entity_type: str, entity_id: uuid.UUID) -> list[AuditEntry]:
    """Every audit row of one record, oldest first, with the actor's name."""
    rows = session.execute(
        select(AuditLog, User.name)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
        .order_by(AuditLog.created_at, AuditLog.id)
    ).all()
    return [
        AuditEntry(
            at=log.created_at,
            actor_id=log.actor_id,
            actor_name=name or "system",
            action=log.action,
            changes=dict(log.changes or {}),
        )
        for log, name in rows
    ]


def last_change(*, session: Session, entity_type: str, entity_id: uuid.UUID) -> AuditEntry | None:
    """The newest audit row of one record, if any."""
    row = session.execute(
        select(AuditLog, User.name)
        .outerjoin(User, User.id == AuditLog.actor_id)
        .where(AuditLog.entity_type == entity_type, AuditLog.entity_id == entity_id)
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    log, name = row
    return AuditEntry(log.created_at, log.actor_id, name or "system", log.action, dict(log.changes or {}))


def fields_changed_in_last_writes(
    *, session: Session, entity_type: str, entity_id: uuid.UUID, writes: int, fields: Iterable[str]
) -> list[str]:
    """Which of ``fields`` the newest ``writes`` audited changes of a record touched (one write, one version)."""
    if writes <= 0:
        return []
    known = list(fields)
    rows = session.scalars(
        select(AuditLog.changes)
        .where(
            AuditLog.entity_type == entity_type,
            AuditLog.entity_id == entity_id,
            AuditLog.action.notin_(("create", "delete", "merged_into")),
        )
        .order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
        .limit(writes)
    ).all()
    touched = {key for changes in rows for key in (changes or {})}
    return [name for name in known if name in touched]


_AFTER_COMMIT_KEY = "crm_after_commit"


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the caller's transaction commits (dropped on rollback) — for metrics."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT_KEY, []):
        try:
            callback()
        except Exception:  # a metric must never break a committed write
            logger.exception("after-commit callback failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_AFTER_COMMIT_KEY, None)
