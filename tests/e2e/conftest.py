"""Browser-test fixtures: a real ``streamlit run app.py`` on a free port, and Debian Chromium.

Shared by every browser test: ``app_server`` (base URL), ``browser_page`` (a fresh page at the
sign-in form), ``screenshot_dir``, and the helpers ``sign_in(page, email, password)``,
``open_page(page, title)`` and ``wait_idle(page)`` (import them from this module).
Without /usr/bin/chromium the tests skip, and fail instead when REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
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
VIEWPORT = {"width": 1440, "height": 1000}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e carries the ``e2e`` marker."""
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"browser tests need Chromium at {CHROMIUM} (apt-get install -y chromium)"
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(reason + " and REQUIRE_BROWSER=1")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of ``streamlit run app.py`` serving the throwaway database."""
    _require_chromium()
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"}
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(base, process, log_path)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_health(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:  # noqa: S310 - local URL
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"streamlit did not become healthy in 60 s:\n{log_path.read_text()}")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never ``playwright install``)."""
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=20_000)  # a busy machine can take several seconds for one script run
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, app_server: str) -> Iterator[object]:
    """A new browser page (tall viewport) opened at the app's sign-in form."""
    context = chromium.new_context(viewport=VIEWPORT)
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(app_server)
    wait_idle(page)
    yield page
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where browser tests save screenshots (E2E_SCREENSHOTS, else a pytest temp folder)."""
    target = os.environ.get("E2E_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def wait_idle(page, timeout: float = 20_000) -> None:
    """Wait until the app is connected and no script is running (after a brief chance to start one)."""
    with contextlib.suppress(Exception):  # the run may be over already, or not needed
        page.wait_for_selector(RUNNING, timeout=1500)
    page.wait_for_selector(IDLE, timeout=timeout)


def sign_in(page, email: str, password: str) -> None:
    """Fill the sign-in form ("Email", "Password", "Sign in") and wait for the app."""
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    wait_idle(page)
    page.locator('a[data-testid="stSidebarNavLink"]').first.wait_for()


def open_page(page, title: str) -> None:
    """Click a navigation link by its title until it is the current page, then wait for the app."""
    from playwright.sync_api import expect

    link = page.locator('a[data-testid="stSidebarNavLink"]', has_text=title).first
    for _ in range(3):  # a click during a running script can be lost; the current link says it landed
        link.click()
        try:
            expect(link).to_have_attribute("aria-current", "page", timeout=5_000)
            break
        except AssertionError:
            wait_idle(page)
    wait_idle(page)
