"""The harvester as CKAN's sysadmins see it: `sdm_harvest_status` and the
page /ckan-admin/sdm/harvest read the harvester's own store (and rq's
queues) through `sdm_harvester.status`, the reading `sdm-harvest status`
prints, so the page and the command line never disagree.

What ckanext-harvest users expect of its source pages — sources, last runs,
counts, errors, the failed jobs — without a job table of CKAN's own that can
stay "Running" for ever: a lease in the store is running only while a
worker renews it.
"""

from __future__ import annotations

import os

import ckan.plugins.toolkit as tk

from ckanext.sdm.audit import sysadmin_only
from ckanext.sdm.helpers import sdm_message

#: The ini keys naming the harvester's store and queues (config_declaration.yml).
DATA_DIR, STORE, REDIS = "ckanext.sdm.harvest.data_dir", "ckanext.sdm.harvest.store", "ckanext.sdm.harvest.redis"


def harvest_status_show(context: dict, data_dict: dict) -> dict:
    """What `sdm-harvest status --json` prints for the store the ini names:
    {sources, runs, quality_flags, leases[, queues]}."""
    tk.check_access("sdm_harvest_status_show", context, data_dict)
    from sdm_harvester.status import harvest_status
    from sdm_harvester.store import Store, open_failure

    data_dir, url = tk.config.get(DATA_DIR) or "", tk.config.get(STORE) or None
    if not data_dir:
        raise tk.ObjectNotFound(sdm_message("harvest_not_configured", option=DATA_DIR))
    if not url and not os.path.exists(os.path.join(data_dir, "harvest.sqlite")):
        raise tk.ObjectNotFound(sdm_message("harvest_no_run", where=data_dir))
    try:
        store = Store(data_dir, url=url)
    except Exception as error:  # a store that is down or refuses us is the page's news, not a 500
        raise tk.ObjectNotFound(
            sdm_message("harvest_store_error", problem=open_failure(data_dir, url, error))
        ) from error
    try:
        return harvest_status(store, tk.config.get(REDIS) or None)
    finally:
        store.close()


ACTIONS = {"sdm_harvest_status_show": harvest_status_show}
AUTH_FUNCTIONS = {"sdm_harvest_status_show": sysadmin_only}
