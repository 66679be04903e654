"""Real CKAN 2.11 servers on 127.0.0.1 for the harvester's end-to-end tests.

Each site gets a fresh database on the private PostgreSQL of dev/services.sh
(ports from SDM_PG_PORT/SDM_REDIS_PORT/SDM_SOLR_PORT, as there), an ini
written by dev/ckan-ini.sh, a sysadmin with an API token made by the ckan
CLI, and its own ckan.site_id, because every site shares one Solr core.
`ckan run` serves it until stop().

Initialising CKAN's database and making the sysadmin costs a minute of CLI
start-ups, so the first session keeps the result as a template database
(with the token, valid as long as the ini keeps its secret) and later
sessions copy it, which takes a moment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "dev"))
from psql import fresh_database, psql  # noqa: E402  (dev/psql.py)

RUN_DIR = os.environ.get("SDM_RUN_DIR") or os.path.join(ROOT, ".run")
CKAN = os.path.join(ROOT, ".venv", "bin", "ckan")
SOLR_PORT = os.environ.get("SDM_SOLR_PORT", "58983")
#: The ports these tests may serve CKAN on ("FIRST-LAST" in
#: $SDM_HARVEST_CKAN_PORTS, for a second suite running beside this one).
_FIRST, _, _LAST = os.environ.get("SDM_HARVEST_CKAN_PORTS", "5030-5039").partition("-")
PORTS = range(int(_FIRST), int(_LAST or _FIRST) + 1)
SYSADMIN = "harvest-admin"


def services(command: str, holder: str = "harvest-ckan") -> None:
    """dev/services.sh up|down for this suite (idempotent; shared with others,
    each fixture holding them under a name of its own)."""
    subprocess.run(
        [os.path.join(ROOT, "dev", "services.sh"), command, holder],
        check=True,
        capture_output=True,
        timeout=180,
    )


def _free_port(taken: set) -> int:
    for port in PORTS:
        if port in taken:
            continue
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"no free port in {PORTS}")


class CkanSite:
    def __init__(self, name: str, plugins: str | None, taken: set, settings: dict | None = None):
        """`plugins` replaces dev/ckan-ini.sh's list; `settings` are ini
        lines written after its own (e.g. another ckan.locale_default)."""
        self.name = name
        self.db = f"sdm_h_{name}"
        self.template = f"sdm_h_{name}_template"
        self.port = _free_port(taken)
        self.url = f"http://127.0.0.1:{self.port}"
        self.ini = os.path.join(RUN_DIR, "harvest-tests", f"{name}.ini")
        self.log_path = os.path.join(RUN_DIR, "harvest-tests", f"{name}.log")
        self.token_path = os.path.join(RUN_DIR, "harvest-tests", f"{name}.token")
        self.env = {**os.environ, "SDM_CKAN_SITE_ID": f"harvest-{name}"}
        if plugins is not None:
            self.env["SDM_CKAN_PLUGINS"] = plugins
        self.settings = settings or {}
        self.process = None
        self.token = None

    def cli(self, *args) -> str:
        """`ckan -c INI ARGS…` for this site; its output, or raises with both streams."""
        result = subprocess.run(
            [CKAN, "-c", self.ini, *args], env=self.env, capture_output=True, text=True, timeout=300
        )
        if result.returncode:
            raise RuntimeError(f"ckan {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def prepare(self) -> None:
        """A fresh database and index, the ini, and a sysadmin's token."""
        new_ini = not os.path.exists(self.ini)
        subprocess.run(
            [os.path.join(ROOT, "dev", "ckan-ini.sh"), self.ini, self.db, self.url],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        if self.settings:
            # `ckan config-tool`'s own code without another CKAN CLI start (imported
            # here: the module is loaded where CKAN is not installed too)
            from ckan.lib.config_tool import config_edit_using_option_strings

            lines = [f"{key} = {value}" for key, value in self.settings.items()]
            config_edit_using_option_strings(self.ini, lines, "app:main")
        has_template = psql(f"SELECT 1 FROM pg_database WHERE datname='{self.template}'") == "1"
        if new_ini or not has_template or not os.path.exists(self.token_path):
            self._make_template()
        fresh_database(self.db, self.template)
        with open(self.token_path, encoding="utf-8") as f:
            self.token = f.read().strip()
        # the Solr index outlives the database: drop what an earlier run indexed
        requests.post(
            f"http://127.0.0.1:{SOLR_PORT}/solr/ckan/update?commit=true",
            data=f'<delete><query>+site_id:"harvest-{self.name}"</query></delete>',
            headers={"Content-Type": "text/xml"},
            timeout=30,
        ).raise_for_status()

    def _make_template(self) -> None:
        fresh_database(self.db)
        self.cli("db", "init")
        self.cli("user", "add", SYSADMIN, f"email={SYSADMIN}@example.org", "password=harvest-pass-1")
        self.cli("sysadmin", "add", SYSADMIN)
        token = self.cli("user", "token", "add", SYSADMIN, "tests").strip().splitlines()[-1].strip()
        fresh_database(self.template, self.db)
        with open(self.token_path, "w", encoding="utf-8") as f:
            f.write(token)

    def start(self) -> None:
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [CKAN, "-c", self.ini, "run", "--host", "127.0.0.1", "--port", str(self.port), "--disable-reloader"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + "/api/3/action/status_show", timeout=2).ok:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or its first answer is slow on a busy machine
            time.sleep(0.3)
        raise RuntimeError(f"CKAN {self.name} did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def action(self, name: str, /, **data):
        """Call an action as the sysadmin; returns the result or raises."""
        response = requests.post(
            f"{self.url}/api/3/action/{name}", json=data, headers={"Authorization": self.token}, timeout=60
        )
        body = response.json()
        if not body.get("success"):
            raise ActionFailed(name, body.get("error"))
        return body["result"]


class ActionFailed(Exception):
    def __init__(self, action, error):
        super().__init__(f"{action}: {error}")
        self.error = error or {}
