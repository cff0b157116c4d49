"""``python -m etl schedule``: refreshes on an interval or a cron expression, single-flight, stop on SIGTERM."""

from __future__ import annotations

import logging
import re
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from croniter import croniter

from core.errors import ConfigError
from core.logging import log_context, new_id

log = logging.getLogger(__name__)

_EVERY = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_every(text: str) -> timedelta:
    """``30s``, ``15m``, ``1h``, ``1d`` → a timedelta; ValueError otherwise."""
    match = _EVERY.match(text)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"--every must look like 30s, 15m, 1h or 1d (got {text!r})")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class Schedule:
    """When to run next: a fixed interval or a 5-field cron expression (UTC)."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        if len(spec.split()) == 5:
            if not croniter.is_valid(spec):
                raise ConfigError(f"the cron expression {spec!r} is not valid (5 fields: min hour day month weekday)")
            self.interval = None
        else:
            try:
                self.interval = parse_every(spec)
            except ValueError as exc:
                raise ConfigError(f"{exc}, or a 5-field cron expression") from None

    def next_after(self, moment: datetime) -> datetime:
        """The next run time strictly after ``moment``."""
        if self.interval is not None:
            return moment + self.interval
        return croniter(self.spec, moment).get_next(datetime)

    def period(self, now: datetime | None = None) -> timedelta:
        """The nominal time between runs (for the staleness rule)."""
        if self.interval is not None:
            return self.interval
        first = self.next_after(now or datetime.now(UTC))
        return self.next_after(first) - first


def run_schedule(
    schedule: Schedule,
    run_once: Callable[[], object],
    *,
    stop: threading.Event | None = None,
    first_backoff: float = 5.0,
    max_backoff: float = 300.0,
    install_signal_handlers: bool = True,
) -> int:
    """Run ``run_once`` at each scheduled time until ``stop`` is set (SIGTERM/SIGINT set it); return 0.

    A run that fails because PostgreSQL is unreachable (ConfigError) is retried with exponential backoff
    (``first_backoff``, doubling up to ``max_backoff``, never past the next scheduled time); other failures
    are logged and the schedule continues. A signal never interrupts a run: the loop stops after the current one.
    """
    stop = stop or threading.Event()
    if install_signal_handlers:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    from etl.checks import DataCheckFailed
    from etl.lock import RefreshRunning

    next_at = datetime.now(UTC)
    while not stop.is_set():
        wait = (next_at - datetime.now(UTC)).total_seconds()
        if wait > 0 and stop.wait(wait):
            break
        backoff = first_backoff
        due = schedule.next_after(next_at)
        while not stop.is_set():
            with log_context(run_id=new_id()):  # refresh() adopts this id: every line of the run carries it
                try:
                    result = run_once()
                    log.info("%s", result.summary() if hasattr(result, "summary") else result)
                    break
                except ConfigError as exc:
                    remaining = (due - datetime.now(UTC)).total_seconds()
                    delay = min(backoff, max_backoff, max(remaining, 0))
                    if delay <= 0:
                        log.error("giving up until the next scheduled run: %s", exc)
                        break
                    log.warning("%s — retrying in %.0f s", exc, delay)
                    if stop.wait(delay):
                        break
                    backoff *= 2
                except RefreshRunning as exc:
                    log.info("skipped: %s", exc)
                    break
                except DataCheckFailed as exc:
                    log.error("%s", exc)
                    break
                except Exception:
                    log.exception("refresh failed")
                    break
        next_at = max(due, datetime.now(UTC))
    log.info("scheduler stopped")
    return 0
