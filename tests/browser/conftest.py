"""Headless Chromium against a live CKAN: the fixtures of the browser tests.

The page tests of tests/plugin post forms through Flask's test client, which
runs no JavaScript and never shows what a reader sees.  These tests drive
Debian's Chromium through Playwright (from PyPI, no browser download) against
a real CKAN web server started here, on the test ini, database and Solr that
CKAN's pytest plugin uses (dev/run-tests.sh), and stopped when the package's
tests end.

    SDM_BROWSER_PORT   the web server's port on 127.0.0.1 (default 5050; 5000
                       is `make ckan-up`'s)
    SDM_CHROMIUM       the browser (default /usr/bin/chromium, Debian's package)
    SDM_SCREENSHOTS    a folder: the tests also save their screenshots there
                       (`make screenshots` sets docs/screenshots)
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from browser_actors import SYSADMIN, Actor, Site

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORT = int(os.environ.get("SDM_BROWSER_PORT", "5050"))
CHROMIUM = os.environ.get("SDM_CHROMIUM", "/usr/bin/chromium")


def _port_free(port: int) -> None:
    """Refuse a taken port: the status check would answer from another site."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a closed server's TIME_WAIT is no owner
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            pytest.fail(f"127.0.0.1:{port} is taken; set SDM_BROWSER_PORT to a free port", pytrace=False)


def _wait_until_serving(url: str, process, log_path: str) -> None:
    """Poll CKAN's status action until it answers (or the process dies)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/api/3/action/status_show", timeout=5):
                return
        except OSError:
            time.sleep(0.3)
    process.kill()
    with open(log_path, encoding="utf-8", errors="replace") as log:
        tail = log.read()[-3000:]
    pytest.fail(f"CKAN web server on {url} did not start; end of {log_path}:\n{tail}", pytrace=False)


def _fresh_database(reset_db, migrate_db_for, reset_index):
    """What clean_db and clean_index do, once for the whole package (the
    plugins are loaded only while their tables are migrated, as
    with_plugins would)."""
    import ckan.plugins

    reset_db()
    ckan.plugins.load_all()
    try:
        migrate_db_for("activity")
        migrate_db_for("sdm")
    finally:
        ckan.plugins.unload_non_system_plugins()
    reset_index()


def _sysadmin_token() -> str:
    """The sysadmin the tests sign in as, made in the test process (core
    actions only) before the server starts; its API token seeds the rest."""
    from ckan.tests import factories
    from ckan.tests.helpers import call_action

    factories.Sysadmin(name=SYSADMIN.name, email=SYSADMIN.email, password=SYSADMIN.password, fullname=SYSADMIN.fullname)
    return call_action(
        "api_token_create",
        context={"user": SYSADMIN.name, "ignore_auth": True},
        user=SYSADMIN.name,
        name="browser-tests",
    )["token"]


def _site_ini(ini: str, folder) -> str:
    """The test ini with what the site offers the public on top: self-registration
    (ckan.auth.create_user_via_web, docs/admin-guide.md), for the researcher
    who registers from a withheld dataset.  The test process keeps the ini as
    it is; `ckan run` configures its logging from the file it is given."""
    with open(ini, encoding="utf-8") as f:
        text = f.read()
    path = folder / "browser.ini"
    path.write_text(
        f"[app:main]\nuse = config:{os.path.abspath(ini)}\nckan.auth.create_user_via_web = true\n\n"
        + text[text.index("[loggers]") :],
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture(scope="package")
def site(request, reset_db, migrate_db_for, reset_index, tmp_path_factory):
    """A live CKAN web server on 127.0.0.1:SDM_BROWSER_PORT over the test
    database, emptied first; stopped when the browser tests end."""
    _fresh_database(reset_db, migrate_db_for, reset_index)
    token = _sysadmin_token()
    folder = tmp_path_factory.mktemp("ckan-web")
    ini = _site_ini(request.config.getoption("--ckan-ini"), folder)
    url = f"http://127.0.0.1:{PORT}"
    _port_free(PORT)
    log_path = str(folder / "ckan.log")
    env = dict(os.environ, CKAN_SITE_URL=url)
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "ckan"),
                "-c",
                ini,
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(PORT),
                "--disable-reloader",
                "--threaded",
            ],  # a page loads its assets at once
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(url, process, log_path)
        yield Site(url, token, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="package")
def chromium():
    """Debian's Chromium, headless, driven by Playwright."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: apt-get install chromium (dev/bootstrap.sh apt), or point SDM_CHROMIUM at one",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, for the actor fixture's teardown."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def _keep_failed_pages(request, opened, folder) -> None:
    """A failed test leaves what each of its windows showed, to look at."""
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    for number, person in enumerate(opened):
        path = folder / f"{number}-{person.locale}.png"
        try:
            person.page.screenshot(path=str(path), full_page=True)
        except Exception:  # the page itself may be what broke
            continue
        print(f"browser window {number} was on {person.page.url}: {path}")


@pytest.fixture
def actor(request, site, chromium, tmp_path):
    """actor(locale, user=None): a fresh browser window (own cookies) reading
    the site in 'zh' or 'en', signed in when a user is given."""
    opened = []

    def open_actor(locale: str, user=None) -> Actor:
        person = Actor(site, chromium, locale)
        opened.append(person)
        if user is not None:
            person.sign_in(user)
        return person

    yield open_actor
    _keep_failed_pages(request, opened, tmp_path)
    for person in opened:
        person.close()
