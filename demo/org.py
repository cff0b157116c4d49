"""The demo org: territories, teams and users (admin, analyst, a manager per territory, reps)."""

from __future__ import annotations

import json

import numpy as np
import polars as pl

from demo.catalog import (
    DAY,
    FIRST_NAMES,
    LAST_NAMES,
    TERRITORIES,
    reps_for,
)
from demo.draws import (
    id_column,
    timestamps,
    uuid_strings,
)
from demo.state import DemoState


class OrgDraws(DemoState):
    """Draws the territories, teams and users of the demo org."""

    def _territories(self) -> pl.DataFrame:
        self.territory_ids = uuid_strings(self.rng, len(TERRITORIES))
        created = self.start - 60 * DAY
        return pl.DataFrame(
            {
                "id": id_column("id", self.territory_ids),
                "name": [t[0] for t in TERRITORIES],
                "region": [t[1] for t in TERRITORIES],
                "rules": [json.dumps(t[2]) for t in TERRITORIES],
                "priority": [t[3] for t in TERRITORIES],
                "created_at": timestamps(np.full(len(TERRITORIES), created), "created_at"),
            }
        )

    def _users(self) -> pl.DataFrame:
        rng = self.rng
        n_reps = reps_for(self.n_leads)
        # Reps per territory in proportion to the expected lead volume, at least one each.
        share = np.array([0.44, 0.22, 0.11, 0.08, 0.05, 0.10])
        alloc = np.maximum(1, np.floor(share * n_reps)).astype(int)
        while alloc.sum() < n_reps:
            alloc[np.argmax(share * n_reps - alloc)] += 1
        while alloc.sum() > n_reps:
            alloc[np.argmax(alloc)] -= 1
        self.rep_territory = np.repeat(np.arange(len(TERRITORIES)), alloc)
        self.n_reps = n_reps
        self.rep_skill = rng.normal(0.0, 0.35, n_reps)
        self.reps_by_territory = [np.flatnonzero(self.rep_territory == t) for t in range(len(TERRITORIES))]

        n_managers = len(TERRITORIES)
        ids = uuid_strings(rng, 2 + n_managers + n_reps)
        self.admin_id, self.analyst_id = ids[0], ids[1]
        self.manager_ids = ids[2 : 2 + n_managers]
        self.rep_ids = ids[2 + n_managers :]
        self.team_ids = uuid_strings(rng, n_managers)

        first = rng.integers(0, len(FIRST_NAMES), len(ids))
        last = rng.integers(0, len(LAST_NAMES), len(ids))
        names = [f"{FIRST_NAMES[f]} {LAST_NAMES[s]}" for f, s in zip(first, last, strict=True)]
        names[0], names[1] = "Demo Admin", "Demo Analyst"
        emails = ["admin@example.com", "analyst@example.com"]
        emails += [f"manager{i + 1}@example.com" for i in range(n_managers)]
        emails += [f"rep{i + 1}@example.com" for i in range(n_reps)]
        roles = ["admin", "analyst"] + ["manager"] * n_managers + ["rep"] * n_reps
        manager_code = np.concatenate([np.full(2 + n_managers, -1), self.rep_territory])
        team_code = np.concatenate([[-1, -1], np.arange(n_managers), self.rep_territory])
        self.team_names = [f"{t[0]} Team" for t in TERRITORIES]
        self.manager_names = names[2 : 2 + n_managers]
        created = self.start - 45 * DAY
        return pl.DataFrame(
            {
                "id": id_column("id", ids),
                "email": emails,
                "name": names,
                "role": roles,
                "password_hash": [self.password_hash] * len(ids),
                "manager_id": id_column("manager_id", self.manager_ids, manager_code),
                "team_id": id_column("team_id", self.team_ids, team_code),
                "territory_id": id_column("territory_id", self.territory_ids, team_code),
                "created_at": timestamps(np.full(len(ids), created), "created_at"),
            }
        )

    def _teams(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "id": id_column("id", self.team_ids),
                "name": self.team_names,
                "manager_id": id_column("manager_id", self.manager_ids),
                "created_at": timestamps(np.full(len(self.team_ids), self.start - 45 * DAY), "created_at"),
            }
        )
