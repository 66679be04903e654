"""A second CKAN process on a given ini, for tests that need one beside the
test process (as CKAN's own CLI sets it up: config, app, request context).

    python site_process.py INI write OWNER_ORG STOPFILE COUNTFILE
        create datasets until STOPFILE exists; COUNTFILE holds how many
    python site_process.py INI dump
        print every dataset (package_show as the site user) as JSON lines
"""
import json
import os
import sys
import time

from ckan.cli import load_config
from ckan.config.middleware import make_app


def _context():
    from ckan.logic import get_action

    site_user = get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def write(owner_org: str, stop_file: str, count_file: str) -> None:
    from ckan.logic import get_action

    made = 0
    while not os.path.exists(stop_file):
        get_action("package_create")(_context(), {
            "name": f"written-during-backup-{made}", "owner_org": owner_org,
            "title_translated": {"zh-Hans": f"备份期间写入{made}", "en": f"Written during backup {made}"},
            "resources": [{"url": f"https://files.example.cn/during-{made}.csv"}]})
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


if __name__ == "__main__":
    ini, command, *args = sys.argv[1:]
    app = make_app(load_config(ini))
    with app._wsgi_app.test_request_context():
        {"write": write, "dump": dump}[command](*args)
