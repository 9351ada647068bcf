"""Browser fixtures: the real app under uvicorn on 127.0.0.1, headless Chromium driven by Playwright, axe-core.

* ``live`` (session): ``tiny_built``'s month published into a snapshot, a users file with one user of
  each role, and the app from ``create_app`` served by uvicorn in a thread on a free port of 127.0.0.1.
* ``browser`` (session): Debian's ``chromium`` (``executable_path``; no ``playwright install``). When it is
  missing the tests **fail** with a message saying how to install it, unless ``FSU_SKIP_BROWSER=1``
  (then they skip). ``FSU_CHROMIUM`` names another executable.
* ``context`` / ``page_as``: a fresh browser context per test whose every request is routed through a
  handler: a request to any host other than 127.0.0.1 is recorded and aborted, and the test fails at
  teardown. Content-Security-Policy reports and page errors in the console fail it too.
* ``assert_accessible(page)``: axe-core (from ``axe-playwright-python``) with the WCAG 2.2 A and AA tags,
  zero violations or the report of each one.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from fsu_dagster.dashboard import users as users_module
from fsu_dagster.dashboard.users import add_user
from fsu_dagster.dashboard.views import MISSING_THEME
from fsu_dagster.publish import publish_snapshot
from fsu_dagster.settings import load_settings
from fsu_dagster.warehouse import connect
from fsu_dagster_tests.dashboard.conftest import MONTH, make_app

HOST = "127.0.0.1"
#: The axe-core tags the issue asks for: WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Every test user's password (the ``lpa`` user gets the home LPA of most cohort members).
PASSWORD = "browser-password-123"


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    lpas: tuple[str, ...] = ()


@dataclass
class Live:
    url: str
    snapshot: Path
    tmp: Path
    accounts: dict[str, Account]
    states: dict[str, Any] = field(default_factory=dict)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        conn = connect(str(self.snapshot), read_only=True)
        try:
            return conn.execute(sql, params or []).fetchall()
        finally:
            conn.close()


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


def _accounts(snapshot: Path) -> dict[str, Account]:
    """One user per role the users module knows (``force`` is ``viewer`` before the role model of issue 13)."""
    roles = users_module.ROLES
    everyone = "force" if "force" in roles else "viewer"
    accounts = {
        "admin": Account("adam", "admin"),
        "force": Account("fran", everyone),
        "signout": Account("sam", everyone),
    }
    if "lpa" in roles:
        conn = connect(str(snapshot), read_only=True)
        try:
            (lpa,) = conn.execute(
                "SELECT home_lpa FROM fsu.person_home_lpa WHERE home_lpa IS NOT NULL "
                "GROUP BY home_lpa ORDER BY count(*) DESC, home_lpa LIMIT 1"
            ).fetchone()
        finally:
            conn.close()
        accounts["lpa"] = Account("lena", "lpa", (lpa,))
    return accounts


@pytest.fixture(scope="session")
def live(tiny_built, tmp_path_factory) -> Iterator[Live]:
    import uvicorn

    tmp = tmp_path_factory.mktemp("browser")
    snapshot = publish_snapshot(tiny_built.warehouse, tmp / "snapshots", MONTH)
    users_file = tmp / "users.json"
    accounts = _accounts(snapshot)
    for account in accounts.values():
        if account.lpas:
            add_user(users_file, account.name, PASSWORD, account.role, lpas=account.lpas)
        else:
            add_user(users_file, account.name, PASSWORD, account.role)
    app = make_app(tmp, tmp / "snapshots", users_file)
    sock = _free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="uvicorn-browser")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield Live(f"http://{HOST}:{sock.getsockname()[1]}", snapshot, tmp, accounts)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def theme_labels() -> dict[str, str]:
    """Theme key -> the label its filter link shows (the default config's themes and MISSING)."""
    settings = load_settings()
    return {key: theme.label for key, theme in settings.themes.items()} | dict([MISSING_THEME])


def chromium_executable() -> str | None:
    return os.environ.get("FSU_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian chromium. Missing: fail (CI must run these), or skip with ``FSU_SKIP_BROWSER=1``."""
    path = chromium_executable()
    problem = None
    if path is None:
        problem = "Chromium was not found (looked for $FSU_CHROMIUM, chromium, chromium-browser)"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            problem = "Playwright for Python is not installed (pip install -e '.[dev]')"
    if problem:
        if os.environ.get("FSU_SKIP_BROWSER") == "1":
            pytest.skip(f"{problem}; FSU_SKIP_BROWSER=1")
        pytest.fail(
            f"{problem}. The browser tests need Debian's chromium: `apt-get install -y chromium` "
            "(.ci/run installs it), or set FSU_SKIP_BROWSER=1 to skip them.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Guard:
    """What a context's route handler and console listener saw that fails the test."""

    external: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def route(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname == HOST:
            route.continue_()
        else:
            self.external.append(url)
            route.abort("blockedbyclient")

    def watch(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(text)


def new_context(browser: Any, live: Live, guard: Guard, state: Any = None) -> Any:
    context = browser.new_context(base_url=live.url, accept_downloads=True, storage_state=state)
    # Pages are rendered on the server: an element that is not there at load will not appear later.
    context.set_default_timeout(5_000)
    context.set_default_navigation_timeout(30_000)
    context.route("**/*", guard.route)
    context.on("page", guard.watch)
    return context


def sign_in(page: Any, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()


@pytest.fixture
def guard() -> Iterator[Guard]:
    guard = Guard()
    yield guard
    assert not guard.external, f"requests outside {HOST}: {guard.external}"
    assert not guard.console, f"CSP reports or page errors: {guard.console}"


@pytest.fixture
def context(browser, live, guard) -> Iterator[Any]:
    """A signed-out browser context with the outside-request guard."""
    context = new_context(browser, live, guard)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page_as(browser, live, guard) -> Iterator[Callable[[str], Any]]:
    """``page_as("admin")``: a page in a fresh context signed in as that role's user.

    Each role signs in through the form once per session; later contexts reuse its cookies (so the
    tests do not hammer the sign-in throttle, and nothing here signs that user out).
    """
    contexts: list[Any] = []

    def open_page(role: str) -> Any:
        if role not in live.accounts:
            pytest.fail(f"no {role!r} user: the users module has roles {users_module.ROLES}")
        if role not in live.states:
            context = new_context(browser, live, guard)
            contexts.append(context)
            page = context.new_page()
            sign_in(page, live.accounts[role].name)
            assert urlsplit(page.url).path == "/", f"signing in as {role} ended on {page.url}"
            live.states[role] = context.storage_state()
        context = new_context(browser, live, guard, live.states[role])
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def assert_accessible(page: Any) -> None:
    """Zero axe-core violations for the WCAG 2.2 A and AA tags on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{page.url}:\n{results.generate_report()}"


def row_ids(page: Any) -> list[str]:
    """Person IDs of the main table's rows, in page order, once the page has loaded.

    A click on a link returns once the navigation has started; the new document's rows are there
    only when it has loaded (under load, reading them at once has seen none of them).
    """
    page.wait_for_load_state()
    return page.locator("tr[data-person-id]").evaluate_all("rows => rows.map(r => r.dataset.personId)")
