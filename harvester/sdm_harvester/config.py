"""The harvest configuration: one YAML file naming every department platform.

`load(path)` reads and checks the whole file and raises ConfigError listing
every problem at once, so `sdm-harvest sources check` can show them all.
docs/harvester.md documents each key.  Secrets never live in the file:
credentials name environment variables.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Mapping

import yaml

from sdm_harvester import http
from sdm_schema import dataset_fields, identifiers, lang
from sdm_schema.loader import load_yaml

SOURCE_TYPES = ("ckan", "datajson", "dcat", "oai-pmh", "spreadsheet")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,60}$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_INTERVAL = re.compile(r"^(\d+)\s*([mhdw])$")
_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_NAMED_INTERVALS = {
    "hourly": dt.timedelta(hours=1),
    "daily": dt.timedelta(days=1),
    "weekly": dt.timedelta(weeks=1),
    "always": dt.timedelta(0),
}
#: What each credential key of a source means.
CREDENTIAL_KEYS = ("token_env", "username_env", "password_env")


class ConfigError(Exception):
    """The configuration is unusable; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_interval(text: object) -> dt.timedelta:
    """`30m`, `6h`, `2d`, `1w`, `hourly`, `daily`, `weekly` or `always`."""
    raw = str(text).strip().lower()
    if raw in _NAMED_INTERVALS:
        return _NAMED_INTERVALS[raw]
    match = _INTERVAL.match(raw)
    if not match:
        raise ValueError(f"schedule {text!r}: expected e.g. 30m, 6h, 2d, 1w, hourly, daily, weekly or always")
    return dt.timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class Department:
    """The responsible department (责任单位) that answers for a source's data."""

    uscc: str
    name: Mapping[str, str]

    @property
    def slug(self) -> str:
        """The CKAN organisation name: stable, derived from the USCC."""
        return "uscc-" + self.uscc.lower()


@dataclass(frozen=True)
class Source:
    name: str
    type: str
    url: str
    department: Department
    default_language: str = "zh-Hans"
    schedule: dt.timedelta = dt.timedelta(days=1)
    credentials: Mapping[str, str] = field(default_factory=dict)
    include: tuple = ()
    exclude: tuple = ()
    #: {field: {source value: code}}, consulted before the code lists.
    mapping: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: spreadsheet sources: {column header: field}, beside the built-in headers.
    columns: Mapping[str, str] = field(default_factory=dict)
    #: type-specific settings (page_size, metadata_prefix, set, sheet, incremental…).
    options: Mapping[str, object] = field(default_factory=dict)
    timeout: float = 600.0
    request_timeout: float = 30.0
    retries: int = 3
    max_bytes: int = 50 * 1024 * 1024
    allow_hosts: tuple = ()
    #: CIDR networks this source may reach although they are more internal
    #: than its own address (see http.AddressGuard)
    allow_networks: tuple = ()
    #: Withdraw nothing when a full listing returns fewer than this share of
    #: the records currently held for the source (the circuit breaker).
    withdraw_threshold: float = 0.5
    #: On workers, pages of the listing per job (a source type whose pages
    #: are addressable up front: ckan); 0 never splits; None leaves it to
    #: `sdm-harvest enqueue --page-jobs`.
    page_jobs: int | None = None

    def secret(self, key: str) -> str | None:
        """The value of the environment variable a credential key names."""
        env = self.credentials.get(key)
        return os.environ.get(env) if env else None


@dataclass(frozen=True)
class Config:
    sources: tuple
    keep_reports: int = 50
    path: str | None = None

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


_SOURCE_KEYS = {
    "name",
    "type",
    "url",
    "department",
    "default_language",
    "schedule",
    "credentials",
    "include",
    "exclude",
    "mapping",
    "columns",
    "options",
    "timeout",
    "request_timeout",
    "retries",
    "max_bytes",
    "allow_hosts",
    "allow_networks",
    "withdraw_threshold",
    "page_jobs",
}
_DEFAULTABLE = _SOURCE_KEYS - {"name", "type", "url", "department", "include", "exclude", "mapping", "columns"}


def load(path: str) -> Config:
    try:
        with open(path, encoding="utf-8") as f:
            data = load_yaml(f)  # a worker reads it for every job
    except OSError as error:
        raise ConfigError([f"{path}: cannot read: {error.strerror}"]) from None
    except yaml.YAMLError as error:
        raise ConfigError([f"{path}: not valid YAML: {error}"]) from None
    return from_dict(data, path)


def from_dict(data: object, path: str | None = None) -> Config:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise ConfigError([f"{path or 'config'}: expected a mapping with a `sources` list"])
    unknown = set(data) - {"sources", "defaults", "keep_reports"}
    if unknown:
        problems.append(f"unknown top-level keys: {', '.join(sorted(unknown))}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict) or set(defaults) - _DEFAULTABLE:
        problems.append(f"defaults: may only set {', '.join(sorted(_DEFAULTABLE))}")
        defaults = {}
    raw_sources = data.get("sources")
    if not isinstance(raw_sources, list) or not raw_sources:
        problems.append("sources: expected a non-empty list")
        raw_sources = []
    sources, names = [], set()
    for index, raw in enumerate(raw_sources, start=1):
        label = f"sources[{index}]" + (f" ({raw.get('name')})" if isinstance(raw, dict) and raw.get("name") else "")
        if not isinstance(raw, dict):
            problems.append(f"{label}: expected a mapping")
            continue
        source_problems: list[str] = []
        source = source_from_dict({**defaults, **raw}, source_problems)
        problems.extend(f"{label}: {p}" for p in source_problems)
        if source is None:
            continue
        if source.name in names:
            problems.append(f"{label}: duplicate source name {source.name!r}")
        names.add(source.name)
        sources.append(source)
    keep = data.get("keep_reports", 50)
    if not isinstance(keep, int) or keep < 1:
        problems.append("keep_reports: expected a whole number of at least 1")
    if problems:
        raise ConfigError(problems)
    return Config(tuple(sources), keep, path)


def source_from_dict(raw: Mapping, problems: list[str]) -> Source | None:
    """A Source, or None with the reasons appended to `problems`."""
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    name = str(raw.get("name") or "")
    if not _NAME.match(name):
        problems.append(f"name {name!r}: use 2–61 lower-case letters, digits, '-' or '_'")
    kind = raw.get("type")
    if kind not in SOURCE_TYPES:
        problems.append(f"type {kind!r}: expected one of {', '.join(SOURCE_TYPES)}")
    url = str(raw.get("url") or "")
    if not re.match(r"^(https?|file)://", url):
        problems.append(f"url {url!r}: expected an http://, https:// or file:// URL")
    else:
        try:
            http.parse_url(url)
        except http.FetchError as error:
            problems.append(f"url: {error}")
    department = _department(raw.get("department"), problems)
    default_language = lang.normalise_tag(raw.get("default_language", "zh-Hans"))
    if default_language is None:
        problems.append(f"default_language {raw.get('default_language')!r}: expected zh-Hans or en")
    try:
        schedule = parse_interval(raw.get("schedule", "daily"))
    except ValueError as error:
        problems.append(str(error))
        schedule = None
    credentials = _credentials(raw.get("credentials") or {}, problems)
    include = _filters("include", raw.get("include") or [], problems)
    exclude = _filters("exclude", raw.get("exclude") or [], problems)
    mapping = _mapping(raw.get("mapping") or {}, problems)
    columns = _columns(raw.get("columns") or {}, problems)
    options = raw.get("options") or {}
    if not isinstance(options, dict):
        problems.append("options: expected a mapping")
    numbers = {}
    for key, minimum in (
        ("timeout", 1),
        ("request_timeout", 0.1),
        ("retries", 0),
        ("max_bytes", 1024),
        ("withdraw_threshold", 0),
    ):
        value = raw.get(key, Source.__dataclass_fields__[key].default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            problems.append(f"{key} {value!r}: expected a number of at least {minimum}")
        numbers[key] = value
    if isinstance(numbers["withdraw_threshold"], (int, float)) and numbers["withdraw_threshold"] > 1:
        problems.append("withdraw_threshold: expected a share between 0 and 1, e.g. 0.5")
    allow_hosts = raw.get("allow_hosts") or []
    if not isinstance(allow_hosts, list) or not all(isinstance(h, str) for h in allow_hosts):
        problems.append("allow_hosts: expected a list of host names (wildcards allowed)")
    allow_networks = _networks(raw.get("allow_networks") or [], problems)
    page_jobs = raw.get("page_jobs")
    if page_jobs is not None and (isinstance(page_jobs, bool) or not isinstance(page_jobs, int) or page_jobs < 0):
        problems.append(f"page_jobs {page_jobs!r}: expected a whole number of pages a job (0: one job)")
    if problems:
        return None
    return Source(
        name=name,
        type=kind,
        url=url,
        department=department,
        default_language=default_language,
        schedule=schedule,
        credentials=credentials,
        include=include,
        exclude=exclude,
        mapping=mapping,
        columns=columns,
        options=options,
        allow_hosts=tuple(allow_hosts),
        allow_networks=allow_networks,
        page_jobs=page_jobs,
        **numbers,
    )


def _networks(raw: object, problems: list[str]) -> tuple:
    """CIDR networks, e.g. [10.20.0.0/16]; each is checked here, not at fetch time."""
    if not isinstance(raw, list):
        problems.append("allow_networks: expected a list of networks such as 10.20.0.0/16")
        return ()
    for network in raw:
        try:
            ipaddress.ip_network(str(network), strict=False)
        except ValueError:
            problems.append(f"allow_networks: {network!r} is not a network such as 10.20.0.0/16 or fd00::/8")
    return tuple(str(n) for n in raw)


def _department(raw: object, problems: list[str]) -> Department | None:
    if not isinstance(raw, dict):
        problems.append("department: expected a mapping with uscc and name")
        return None
    code = str(raw.get("uscc") or "").strip()
    try:
        code = identifiers.uscc(code)
    except ValueError as error:
        problems.append(f"department.uscc {code!r}: not a valid unified social credit code ({error})")
    name = raw.get("name")
    if isinstance(name, str):
        name = {lang.detect(name): name}
    if not isinstance(name, dict) or not name:
        problems.append("department.name: expected text or {zh-Hans: …, en: …}")
        return None
    tagged = {}
    for tag, text in name.items():
        norm = lang.normalise_tag(tag)
        if norm is None:
            problems.append(f"department.name: unsupported language tag {tag!r}")
        tagged[norm] = str(text)
    return Department(code, tagged)


def _credentials(raw: object, problems: list[str]) -> dict:
    if not isinstance(raw, dict):
        problems.append("credentials: expected a mapping such as {token_env: MY_TOKEN}")
        return {}
    for key, env in raw.items():
        if key not in CREDENTIAL_KEYS:
            problems.append(f"credentials.{key}: expected one of {', '.join(CREDENTIAL_KEYS)}")
        elif not isinstance(env, str) or not _ENV_NAME.match(env):
            problems.append(
                f"credentials.{key}: give the NAME of an environment variable (e.g. DEPT_TOKEN), "
                "never the secret itself"
            )
    return dict(raw)


def _filters(key: str, raw: object, problems: list[str]) -> tuple:
    """Each rule maps `identifier` or a field name to an fnmatch pattern."""
    if not isinstance(raw, list):
        problems.append(f"{key}: expected a list of rules such as {{identifier: 'test-*'}}")
        return ()
    known = {f.name for f in dataset_fields()} | {"identifier"}
    rules = []
    for rule in raw:
        if not isinstance(rule, dict) or not rule:
            problems.append(f"{key}: rule {rule!r} is not a mapping")
            continue
        for name in set(rule) - known:
            problems.append(f"{key}: unknown field {name!r}")
        rules.append({k: str(v) for k, v in rule.items()})
    return tuple(rules)


def _mapping(raw: object, problems: list[str]) -> dict:
    if not isinstance(raw, dict):
        problems.append("mapping: expected {field: {source value: code}}")
        return {}
    fields = {f.name: f for f in dataset_fields()}
    for name, table in raw.items():
        field_def = fields.get(name)
        if field_def is None or field_def.codelist is None:
            coded = sorted(n for n, f in fields.items() if f.codelist is not None)
            problems.append(f"mapping.{name}: not a coded field (coded fields: {', '.join(coded)})")
            continue
        if not isinstance(table, dict):
            problems.append(f"mapping.{name}: expected {{source value: code}}")
            continue
        for value, target in table.items():
            if str(target) not in field_def.codelist:
                problems.append(
                    f"mapping.{name}: {value!r} → {target!r}: unknown code; "
                    f"allowed: {', '.join(field_def.codelist.codes)}"
                )
    return {name: {str(k): str(v) for k, v in table.items()} for name, table in raw.items() if isinstance(table, dict)}


def _columns(raw: object, problems: list[str]) -> dict:
    if not isinstance(raw, dict):
        problems.append("columns: expected {column header: field}")
        return {}
    fields = {f.name for f in dataset_fields()} | {"identifier", "resource_url"}
    for header, target in raw.items():
        base = str(target).split("@")[0]
        if base not in fields:
            problems.append(f"columns.{header}: unknown field {target!r}")
    return {str(k): str(v) for k, v in raw.items()}
