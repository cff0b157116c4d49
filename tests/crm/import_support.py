"""Running an import the way the command line does: its own committed transaction, as the system actor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from core.db import transaction
from crm.actors import SYSTEM_ACTOR, Actor
from crm.importing import ImportReport, import_csv


def run_import(engine: Engine, *, actor: Actor = SYSTEM_ACTOR, **kwargs: Any) -> ImportReport:
    """``import_csv`` in one transaction of its own, committed unless it raises."""
    with transaction(engine) as session:
        return import_csv(session=session, actor=actor, **kwargs)
