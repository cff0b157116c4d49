"""Who performs a use case: the identity every service checks permissions against."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from models import User


@dataclass(frozen=True)
class Actor:
    """A signed-in user as services see it (a plain value: safe across reruns and threads)."""

    id: uuid.UUID
    email: str
    name: str
    role: str
    team_id: uuid.UUID | None = None

    @property
    def can_write(self) -> bool:
        """Analysts read everything and write nothing."""
        return self.role != "analyst"

    @property
    def is_system(self) -> bool:
        """The command line acting with no signed-in user (audited with no actor id)."""
        return self.id == SYSTEM_ACTOR_ID

    @property
    def sees_everything(self) -> bool:
        """Analysts and admins see every record."""
        return self.role in ("analyst", "admin")


SYSTEM_ACTOR_ID = uuid.UUID(int=0)
SYSTEM_ACTOR = Actor(id=SYSTEM_ACTOR_ID, email="system@localhost", name="command line", role="admin")
"""The explicit admin the command line acts as; it is no row of ``users``, so audit rows store no actor id."""


def actor_from_user(user: User) -> Actor:
    """The Actor for an ORM user."""
    return Actor(id=user.id, email=user.email, name=user.name, role=user.role, team_id=user.team_id)
