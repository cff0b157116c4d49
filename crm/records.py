"""Helpers every record service shares: validating input into a schema, detecting stale edits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from crm import audit
from crm.errors import StaleRecord, ValidationFailed
from models.schemas import field_errors

SchemaT = TypeVar("SchemaT", bound=BaseModel)


def parse_input(schema: type[SchemaT], data: Mapping[str, Any] | SchemaT) -> SchemaT:
    """Validate raw form/API input into ``schema``; raise ValidationFailed naming each bad field."""
    if isinstance(data, schema):
        return data
    try:
        return schema.model_validate(dict(data))
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None


def stale_message(*, session: Session, entity_type: str, entity_id: uuid.UUID, updated_at: datetime) -> str:
    """ "changed by <name> at <time> — reload" for a record someone else changed."""
    last = audit.last_change(session=session, entity_type=entity_type, entity_id=entity_id)
    who = last.actor_name if last is not None else "someone else"
    return f"This {entity_type} was changed by {who} at {updated_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC — reload"


def check_version(
    *,
    session: Session,
    entity_type: str,
    record: Any,
    expected_version: int | None,
    fields: tuple[str, ...],
) -> None:
    """Raise StaleRecord when ``record`` (locked) is no longer at ``expected_version``.

    The error names the ``fields`` the audit log records as changed by the writes since that
    version (``changed_fields``) and the version now stored (``current_version``).
    """
    if expected_version is None or record.version == expected_version:
        return
    changed = audit.fields_changed_in_last_writes(
        session=session,
        entity_type=entity_type,
        entity_id=record.id,
        writes=record.version - expected_version if record.version > expected_version else 1,
        fields=fields,
    )
    raise StaleRecord(
        stale_message(session=session, entity_type=entity_type, entity_id=record.id, updated_at=record.updated_at),
        changed_fields=changed,
        current_version=record.version,
    )
