"""Time the Leads page end to end (AppTest: script run, service calls, rendering) on a big database.

Usage (a database you may read, e.g. seeded with ``python -m crm seed-demo --leads 1000000``):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/<db> .venv/bin/python benchmarks/leads_page.py [--rounds 3]

For the first admin, manager and rep (by email) it times three runs of the page: the list sorted
by score, a search for "smith", and the next page of that search; the median over ``--rounds`` is
printed as a Markdown table. It only reads (the user is put into the session, no sign-in is written).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from core.db import normalize_url  # noqa: E402
from crm.actors import Actor  # noqa: E402
from ui.session import SESSION_KEY  # noqa: E402

STEPS = ("list by score", "search 'smith'", "next page of the search")


def _actors(url: str) -> list[Actor]:
    engine = create_engine(normalize_url(url))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (role) id, email, name, role, team_id FROM users "
                "WHERE role IN ('admin', 'manager', 'rep') AND is_active ORDER BY role, email"
            )
        ).all()
    engine.dispose()
    return [Actor(id=r.id, email=r.email, name=r.name, role=r.role, team_id=r.team_id) for r in rows]


def _time_role(actor: Actor) -> tuple[list[float], str]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state[SESSION_KEY] = actor
    at.run()
    at.switch_page("pages/leads.py")
    times, caption = [], ""
    for step in STEPS:
        if step.startswith("search"):
            at.text_input(key="leads_q").input("smith")
            at.button(key="leads_search_submit").click()
        elif step.startswith("next"):
            at.button(key="leads_next").click()
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        if at.exception:
            raise SystemExit(f"{actor.role}: {at.exception[0].value}")
        caption = at.caption[-1].value
    return times, caption


def main() -> None:
    """Print the median seconds per role and step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    print("| role | " + " | ".join(STEPS) + " | last caption |")
    print("|---|" + "---:|" * len(STEPS) + "---|")
    for actor in _actors(url):
        rounds = [_time_role(actor) for _ in range(args.rounds)]
        medians = [statistics.median(r[0][i] for r in rounds) for i in range(len(STEPS))]
        print(f"| {actor.role} | " + " | ".join(f"{m:.2f} s" for m in medians) + f" | {rounds[-1][1]} |")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
