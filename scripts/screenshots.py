"""Screenshots of every page at phone (390 px) and desktop (1440 px) width, in Debian Chromium.

Run the app on a throwaway database with demo data first (see docs/ui.md, "Screenshots"), then:

    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8501 --out /tmp/shots

Each page is signed in as a role that sees it (admin for admin pages, rep for Leads, manager for the
dashboards) and saved as ``<page>-<width>.png``. ``--tall`` sets the window height: Streamlit scrolls
inside its own container, so a tall window shows the whole page; 0 keeps the first screen only.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
RUNNING = '[data-testid="stApp"][data-test-script-state="running"]'
PASSWORD = "demo1234"  # noqa: S105 - the documented demo password (docs/demo-data.md)
# (file name, navigation title, who looks at it, extra clicks: button/segment names pressed in turn)
PAGES: list[tuple[str, str, str, list[str]]] = [
    ("overview", "Overview", "manager1@example.com", []),
    ("pipeline", "Pipeline", "manager1@example.com", []),
    ("pipeline-changes", "Pipeline", "manager1@example.com", ["Changes"]),
    ("pipeline-stale", "Pipeline", "manager1@example.com", ["Stale deals"]),
    ("conversion", "Conversion", "analyst@example.com", []),
    ("conversion-cohorts", "Conversion", "analyst@example.com", ["Cohorts"]),
    ("team", "Team", "manager1@example.com", []),
    ("team-coverage", "Team", "manager1@example.com", ["Coverage"]),
    ("forecast", "Forecast", "manager1@example.com", []),
    ("about-numbers", "About these numbers", "analyst@example.com", []),
    ("leads", "Leads", "rep1@example.com", []),
    ("opportunities", "Opportunities", "rep1@example.com", []),
    ("import", "Import", "admin@example.com", []),
    ("users", "Users", "admin@example.com", []),
    ("territories", "Territories", "admin@example.com", []),
]


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until no script runs (after a brief chance for one to start)."""
    with contextlib.suppress(Exception):
        page.wait_for_selector(RUNNING, timeout=1500)
    page.wait_for_selector(IDLE, timeout=timeout)


def take(browser, url: str, out: Path, width: int, height: int, only: set[str]) -> None:
    """Every page of PAGES at ``width`` × ``height``, one sign-in per person."""
    contexts: dict[str, object] = {}
    for name, title, email, clicks in PAGES:
        if only and name not in only:
            continue
        if email not in contexts:
            context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
            page = context.new_page()
            page.goto(url)
            wait_idle(page)
            page.get_by_label("Email").fill(email)
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            wait_idle(page)
            contexts[email] = page
        page = contexts[email]
        nav = page.locator('a[data-testid="stSidebarNavLink"]', has_text=title).first
        if nav.get_attribute("aria-current") != "page":
            nav.dispatch_event("click")  # also on phones, where the sidebar is folded away off screen
            wait_idle(page)
        for label in clicks:
            page.locator("[data-testid=stButtonGroup] button", has_text=label).first.click()
            wait_idle(page)
        page.wait_for_timeout(2000)  # charts and tables draw after the script run
        wait_idle(page)  # a filter or fragment may have rerun the page meanwhile
        page.wait_for_timeout(1000)
        page.screenshot(path=str(out / f"{name}-{width}.png"))
        print(out / f"{name}-{width}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--widths", default="1440,390")
    parser.add_argument("--tall", type=int, default=2400, help="window height in px (0: one screen)")
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    only = {n for n in args.only.split(",") if n}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for width in (int(w) for w in args.widths.split(",")):
            height = args.tall or (844 if width < 640 else 900)
            take(browser, args.url, args.out, width, height, only)
        browser.close()


if __name__ == "__main__":
    main()
