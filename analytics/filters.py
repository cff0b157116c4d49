"""The filter every dashboard metric accepts: date range, territories, teams, owners, sources."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any


def _tuple(values: Any) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        return (values,)
    return tuple(str(v) for v in values)


@dataclass(frozen=True)
class MetricFilter:
    """What to include: an inclusive UTC date range and optional id/source sets (empty = all).

    ``visible_owner_ids`` is the signed-in user's row-level scope (None = everyone); it always
    narrows ``owner_ids`` and is never widened by it.
    """

    start_on: dt.date | None = None
    end_on: dt.date | None = None
    territory_ids: tuple[str, ...] = ()
    team_ids: tuple[str, ...] = ()
    owner_ids: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    visible_owner_ids: tuple[str, ...] | None = field(default=None)

    def __post_init__(self) -> None:
        for name in ("territory_ids", "team_ids", "owner_ids", "sources"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        if self.visible_owner_ids is not None:
            object.__setattr__(self, "visible_owner_ids", _tuple(self.visible_owner_ids))
        if self.start_on and self.end_on and self.start_on > self.end_on:
            raise ValueError(f"start_on {self.start_on} is after end_on {self.end_on}")

    @property
    def days(self) -> int | None:
        """Length of the date range in days (inclusive), or None when open-ended."""
        if self.start_on is None or self.end_on is None:
            return None
        return (self.end_on - self.start_on).days + 1

    def previous_period(self) -> MetricFilter:
        """The same filter over the equally long range just before this one."""
        if self.start_on is None or self.end_on is None:
            raise ValueError("previous_period needs both start_on and end_on")
        length = dt.timedelta(days=self.days or 0)
        return replace(self, start_on=self.start_on - length, end_on=self.end_on - length)

    def with_dates(self, start_on: dt.date | None, end_on: dt.date | None) -> MetricFilter:
        """A copy over another date range."""
        return replace(self, start_on=start_on, end_on=end_on)

    def to_key(self) -> str:
        """A stable text form (for cache keys)."""
        data = asdict(self)
        data["start_on"] = self.start_on.isoformat() if self.start_on else None
        data["end_on"] = self.end_on.isoformat() if self.end_on else None
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_key(cls, key: str) -> MetricFilter:
        """Rebuild a filter from :meth:`to_key`."""
        data = json.loads(key)
        for name in ("start_on", "end_on"):
            data[name] = dt.date.fromisoformat(data[name]) if data[name] else None
        return cls(**data)

    def where(
        self,
        *,
        date_expr: str | None = None,
        alias: str = "",
        source: bool = True,
        team: bool = True,
        territory: bool = True,
    ) -> tuple[str, list[Any]]:
        """A SQL condition (``TRUE`` when empty) and its parameters for a table with the usual columns.

        ``date_expr`` is the DATE expression the range applies to (None = no date condition).
        """
        prefix = f"{alias}." if alias else ""
        parts: list[str] = []
        params: list[Any] = []
        if date_expr is not None and self.start_on is not None:
            parts.append(f"{date_expr} >= ?")
            params.append(self.start_on)
        if date_expr is not None and self.end_on is not None:
            parts.append(f"{date_expr} <= ?")
            params.append(self.end_on)
        sets = [("owner_id", self.owner_ids)]
        if team:
            sets.append(("team_id", self.team_ids))
        if territory:
            sets.append(("territory_id", self.territory_ids))
        if source:
            sets.append(("source", self.sources))
        for column, values in sets:
            if values:  # compared as text: ids (UUID columns) come from URLs, where any string may appear
                parts.append(f"CAST({prefix}{column} AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))")
                params.append(list(values))
        if self.visible_owner_ids is not None:
            parts.append(f"CAST({prefix}owner_id AS VARCHAR) IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(self.visible_owner_ids))
        return (" AND ".join(parts) or "TRUE"), params


ALL = MetricFilter()
