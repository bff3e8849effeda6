"""The dashboard in a real headless browser: `streamlit run` over the published warehouse, every page loads without
an error element, and a screenshot of each page is saved under test-artifacts/dashboard/.

Uses Debian's chromium through Playwright (`executable_path`), so no browser download is needed. Skips only when
chromium is not installed, and not even then in CI (.ci/run installs chromium and sets CART_RECOVERY_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, Warehouse

from cart_recovery.workflow import state

ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard"
PAGES = {
    "overview": ("", "Overview"),
    "recovery_funnel": ("funnel", "Recovery funnel"),
    "exceptions": ("exceptions", "Exceptions"),
    "workflow": ("workflow", "Workflow"),
    "reconciliation": ("reconciliation", "Reconciliation"),
    "data_health": ("data-health", "Data health"),
}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ERROR_SELECTORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'
# The page has finished: the script is not running, its metrics are shown and every Plotly chart is drawn.
PAGE_READY = """() => {
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    return !document.querySelector('[data-testid="stStatusWidget"]')
        && document.querySelectorAll('[data-testid="stMetric"]').length > 0
        && charts.length > 0
        && charts.every(chart => chart.querySelector('.main-svg'));
}"""


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(published_path: Path) -> Iterator[str]:
    """`streamlit run dashboard/app.py` over a published warehouse, as `make run` serves it."""
    port = free_port()
    env = dict(os.environ, CART_RECOVERY_WAREHOUSE=str(published_path))
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read() if server.stdout else ""
                raise AssertionError(f"streamlit did not start:\n{output[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def dashboard_url(warehouse: Warehouse) -> Iterator[str]:
    with serve(warehouse.published_path) as url:
        yield url


def require_chromium() -> str:
    chromium = chromium_path()
    if chromium is None:
        message = "chromium is not installed (apt-get install chromium chromium-driver): browser test not run"
        if os.environ.get("CART_RECOVERY_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return chromium


def test_every_page_loads_in_a_real_browser(dashboard_url: str, tmp_path: Path) -> None:
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1440, "height": 900},
        )
        try:
            page = browser.new_page()
            page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
            for name, (path, title) in PAGES.items():
                page.set_viewport_size({"width": 1440, "height": 900})
                page.goto(f"{dashboard_url}/{path}")
                page.get_by_role("heading", name=title, level=1).wait_for(timeout=30_000)
                page.wait_for_function(PAGE_READY, timeout=30_000)
                page.wait_for_timeout(300)
                page.wait_for_function(PAGE_READY, timeout=30_000)

                errors = page.locator(ERROR_SELECTORS)
                assert errors.count() == 0, f"{title}: {errors.first.inner_text()}"
                assert page.get_by_text("Page not found").count() == 0, title
                assert page.locator('[data-testid="stSidebarNav"] a').count() == len(PAGES)
                assert page.locator('[data-testid="stMetric"]').count() >= 4, title
                assert page.locator('[data-testid="stPlotlyChart"] .main-svg').count() >= 1, title

                # Streamlit scrolls inside its main container: grow the viewport to the content for the screenshot.
                height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                page.set_viewport_size({"width": 1440, "height": max(900, min(int(height), 6000))})
                page.wait_for_function(PAGE_READY, timeout=10_000)
                page.wait_for_timeout(300)
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        finally:
            browser.close()
    assert not problems, problems
    assert set(PAGES) <= {p.stem for p in ARTIFACTS.glob("*.png")}


def test_an_owner_acknowledges_an_exception_and_sees_it_in_the_timeline(warehouse: Warehouse, tmp_path: Path) -> None:
    """On a copy of the session warehouse (its own state file beside it), so other tests see no action."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    copy = tmp_path / "published" / "cart_recovery.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse.published_path, copy)
    state_file = copy.with_name("cart_recovery.state.sqlite")
    with serve(copy) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1440, "height": 2400},
        )
        try:
            page = browser.new_page()
            page.goto(f"{url}/exceptions")
            page.get_by_role("heading", name="Exceptions", level=1).wait_for(timeout=30_000)
            page.wait_for_function(PAGE_READY, timeout=30_000)
            name = page.get_by_label("Your name (recorded with your actions)")
            name.fill("Browser Tester")
            name.press("Enter")
            page.wait_for_timeout(500)
            page.wait_for_function(PAGE_READY, timeout=30_000)
            page.get_by_role("button", name="Record action").click()
            page.get_by_text("Recorded: acknowledge on").wait_for(timeout=30_000)
            timeline = page.locator('[data-testid="stTable"]')
            row = timeline.locator("tr", has_text="acknowledged")
            row.wait_for(timeout=30_000)
            assert "Browser Tester" in row.inner_text()
            assert page.locator(ERROR_SELECTORS).count() == 0
        finally:
            browser.close()
    con = sqlite3.connect(state_file)
    try:
        assert con.execute("select action, actor from exception_actions").fetchall() == [
            ("acknowledge", "Browser Tester")
        ]
    finally:
        con.close()
    assert not state.path_beside(warehouse.published_path).exists()


def test_the_proxy_header_names_the_actor(warehouse: Warehouse, tmp_path: Path) -> None:
    """Behind an SSO proxy (docs/workflow.md "Owners' actions") the header names who acts; no name is asked."""
    chromium = require_chromium()
    from playwright.sync_api import sync_playwright

    copy = tmp_path / "published" / "cart_recovery.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse.published_path, copy)
    with serve(copy) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1440, "height": 2400},
            extra_http_headers={"X-Forwarded-User": "sso.user@example.com"},
        )
        try:
            page = browser.new_page()
            page.goto(f"{url}/exceptions")
            page.get_by_role("heading", name="Exceptions", level=1).wait_for(timeout=30_000)
            page.wait_for_function(PAGE_READY, timeout=30_000)
            assert page.get_by_text("Acting as sso.user@example.com (signed in)").count() == 1
            assert page.get_by_label("Your name (recorded with your actions)").count() == 0
            page.get_by_role("button", name="Record action").click()
            page.get_by_text("Recorded: acknowledge on").wait_for(timeout=30_000)
        finally:
            browser.close()
    con = sqlite3.connect(copy.with_name("cart_recovery.state.sqlite"))
    try:
        assert con.execute("select actor from exception_actions").fetchall() == [("sso.user@example.com",)]
    finally:
        con.close()
