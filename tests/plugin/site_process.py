"""A second CKAN process on a given ini, for tests that need one beside the
test process (as CKAN's own CLI sets it up: config, app, request context).

    python site_process.py INI write OWNER_ORG STOPFILE COUNTFILE
        create datasets until STOPFILE exists; COUNTFILE holds how many
    python site_process.py INI dump
        print every dataset (package_show as the site user) as JSON lines
    python site_process.py INI new-field FIELD CODE USCC
        with SDM_SCHEMA_DIR on a copy of the schema that adds FIELD: create a
        dataset with FIELD=CODE and print, as JSON, what the form, the record,
        the index and the DCAT feed make of it (tests/plugin/test_add_a_field.py)
"""

import json
import os
import sys
import time

from ckan.cli import load_config
from ckan.config.middleware import make_app
from werkzeug.test import Client


def _context():
    from ckan.logic import get_action

    site_user = get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def write(owner_org: str, stop_file: str, count_file: str) -> None:
    from ckan.logic import get_action

    made = 0
    while not os.path.exists(stop_file):
        get_action("package_create")(
            _context(),
            {
                "name": f"written-during-backup-{made}",
                "owner_org": owner_org,
                "title_translated": {"zh-Hans": f"备份期间写入{made}", "en": f"Written during backup {made}"},
                "resources": [{"url": f"https://files.example.cn/during-{made}.csv"}],
            },
        )
        made += 1
        with open(count_file + ".new", "w") as f:
            f.write(str(made))
        os.replace(count_file + ".new", count_file)
        time.sleep(0.05)


def dump() -> None:
    from ckan import model
    from ckan.logic import get_action

    context = _context()
    for (pid,) in model.Session.query(model.Package.id).filter(model.Package.state != "deleted"):
        shown = get_action("package_show")(dict(context), {"id": pid})
        sys.stdout.write(json.dumps(shown, sort_keys=True, ensure_ascii=False) + "\n")


def new_field(site, field: str, code: str, uscc: str) -> None:
    from ckan.logic import get_action

    with site._wsgi_app.test_request_context():
        context = _context()
        unit = get_action("organization_create")(
            dict(context),
            {
                "name": "new-field-unit",
                "uscc": uscc,
                "title_translated": {"zh-Hans": "新字段单位", "en": "New field unit"},
            },
        )
        created = get_action("package_create")(
            dict(context),
            {
                "name": "with-a-new-field",
                "owner_org": unit["id"],
                field: code,
                "title_translated": {"zh-Hans": "新字段数据集", "en": "Dataset with a new field"},
            },
        )
        found = get_action("package_search")(
            dict(context), {"fq": f"{field}:{code}", "facet.field": json.dumps([field]), "rows": 1}
        )
        stored = get_action("package_show")(dict(context), {"id": created["id"]}).get(field)
        token = get_action("api_token_create")(dict(context), {"user": context["user"], "name": "new-field"})
    # pages go through the whole middleware stack (it sets the language), as
    # a browser's requests would
    client, headers = Client(site), {"Authorization": token["token"]}
    json.dump(
        {
            "stored": stored,
            "found": found["count"],
            "facet": found["search_facets"].get(field, {}).get("items", []),
            "form": client.get("/dataset/new", headers=headers).get_data(as_text=True),
            "feed": client.get(f"/dataset/{created['name']}.ttl", headers=headers).get_data(as_text=True),
        },
        sys.stdout,
        ensure_ascii=False,
    )


if __name__ == "__main__":
    ini, command, *args = sys.argv[1:]
    site = make_app(load_config(ini))
    if command == "new-field":
        new_field(site, *args)
    else:
        with site._wsgi_app.test_request_context():
            {"write": write, "dump": dump}[command](*args)
