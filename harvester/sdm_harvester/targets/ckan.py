"""A CKAN site running ckanext-sdm, loaded through its Action API.

Each record becomes the dataset with the store's stable id
(`store.dataset_id(source, identifier)`), so the site's DCAT endpoints and
the harvester's feeds name a dataset with the same URI.  Its name is the
store's, kept from the first harvest; `harvest_source` and
`harvest_identifier` carry its provenance.  The dataset belongs to the
organisation of its responsible unit, found by the unit's USCC (`uscc`, as
sdm_organization.yaml defines it) whatever the organisation is called, and
created as `uscc-<code>` when the site has none yet.

A changed record replaces the dataset whole (package_update): the source is
authoritative, so a field it dropped is dropped here too.  A withdrawn record
is deleted (package_delete: state=deleted): it leaves search, listings and
the DCAT catalogue, sysadmins can still see it, and it returns, same id and
name, if the source lists it again.  Making it private instead would keep
it in front of the organisation's editors as if it were current.

Setting ids and creating organisations needs a sysadmin's API token.  Plain
requests, no ckanapi: the harvester runs where CKAN is not installed.
"""

from __future__ import annotations

import uuid

import requests

from sdm_harvester.store import StoredRecord, dataset_id
from sdm_harvester.targets import CREATED, UPDATED, WITHDRAWN, Target, TargetError

#: Keys of a stored dataset that CKAN sets itself or that name the unit.
_NOT_SENT = ("metadata_created", "metadata_modified", "organization", "owner_org")
#: Organisations asked for per organization_list page.
_ORG_PAGE = 1000


def _with_ids(package_id: str, resources: list) -> list:
    """Resources with ids of their own, stable for the dataset, position and
    URL.  CKAN guesses a format from the URL for a resource it has no id for
    (if_empty_guess_format), which would publish a format the source never
    gave, and would give the resource a new id on every update."""
    return [
        {**r, "id": r.get("id") or str(uuid.uuid5(uuid.UUID(package_id), f"{i}\n{r.get('url')}"))}
        for i, r in enumerate(resources)
    ]


class NotFound(Exception):
    """CKAN answered Not Found."""


class ActionClient:
    """POSTs to /api/3/action/NAME and unwraps CKAN's answer."""

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        self.endpoint = url.rstrip("/") + "/api/3/action/"
        self.session = requests.Session()
        self.session.headers["Authorization"] = token
        self.timeout = timeout

    def call(self, action: str, data: dict) -> object:
        try:
            response = self.session.post(self.endpoint + action, json=data, timeout=self.timeout)
            body = response.json()
        except requests.RequestException as error:
            raise TargetError(f"{action}: {error}") from None
        except ValueError:
            raise TargetError(f"{action}: HTTP {response.status_code}, not a CKAN answer") from None
        if body.get("success"):
            return body["result"]
        error = body.get("error") or {}
        if error.get("__type") == "Not Found Error":
            raise NotFound(action)
        details = {k: v for k, v in error.items() if k not in ("__type", "message")}
        raise TargetError(f"{action}: {error.get('__type', 'error')}: {error.get('message') or details}")


class CkanTarget(Target):
    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        self.key = "ckan " + url.rstrip("/")
        self.api = ActionClient(url, token, timeout)
        #: {uscc: organisation id}, read from the site on first need
        self._organizations: dict | None = None

    def put(self, record: StoredRecord) -> str:
        dataset = record.dataset()
        payload = {k: v for k, v in dataset.items() if k not in _NOT_SENT}
        payload["owner_org"] = self._organization(dataset["organization"])
        payload["resources"] = _with_ids(payload["id"], payload.get("resources") or [])
        try:
            self.api.call("package_show", {"id": payload["id"]})
        except NotFound:
            self.api.call("package_create", payload)
            return CREATED
        # state=active brings back a dataset withdrawn by an earlier run
        self.api.call("package_update", {**payload, "state": "active"})
        return UPDATED

    def withdraw(self, record: StoredRecord) -> str:
        try:
            self.api.call("package_delete", {"id": dataset_id(record.source, record.identifier)})
        except NotFound:
            pass  # purged on the site already: nothing left to withdraw
        return WITHDRAWN

    def _organization(self, unit: dict) -> str:
        """The id of the responsible unit's organisation, created if missing."""
        if self._organizations is None:
            self._organizations = self._organizations_by_uscc()
        uscc = unit["uscc"].upper()
        if uscc not in self._organizations:
            created = self.api.call(
                "organization_create",
                {"name": unit["name"], "title_translated": unit["title_translated"], "uscc": uscc},
            )
            self._organizations[uscc] = created["id"]
        return self._organizations[uscc]

    def _organizations_by_uscc(self) -> dict:
        found, offset = {}, 0
        while True:
            page = self.api.call(
                "organization_list", {"all_fields": True, "include_extras": True, "limit": _ORG_PAGE, "offset": offset}
            )
            for org in page:
                uscc = org.get("uscc") or next(
                    (e["value"] for e in org.get("extras") or [] if e.get("key") == "uscc"), None
                )
                if uscc:
                    found.setdefault(uscc.upper(), org["id"])
            if len(page) < _ORG_PAGE:
                return found
            offset += _ORG_PAGE
