"""`make ckan-up` serves the extension: a dataset created through ckanapi
against it reads back, and `ckan-down` stops what `ckan-up` started."""

import os
import subprocess
import uuid

import ckanapi
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PORT = 5040


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    env = dict(
        os.environ,
        SDM_CKAN_PORT=str(PORT),
        SDM_CKAN_HOLDER="ckan-up-test",
        SDM_CKAN_OUT=str(tmp_path_factory.mktemp("ckan-up")),
    )
    up = subprocess.run(["dev/ckan-up.sh", "up"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    token = open(os.path.join(env["SDM_CKAN_OUT"], "sysadmin.token")).read().strip()
    yield ckanapi.RemoteCKAN(f"http://127.0.0.1:{PORT}", apikey=token)
    down = subprocess.run(["dev/ckan-up.sh", "down"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stdout + down.stderr
    with pytest.raises(Exception):
        ckanapi.RemoteCKAN(f"http://127.0.0.1:{PORT}").action.status_show()


def test_dataset_created_through_ckanapi(served, full_dataset):
    status = served.action.status_show()
    assert {"sdm", "scheming_datasets", "dcat"} <= set(status["extensions"])
    # ckan-up keeps its database between runs: fresh names each time
    suffix = uuid.uuid4().hex[:8]
    unit = served.action.organization_create(
        name=f"cma-{suffix}",
        uscc="91110000600037341L",
        title_translated={"zh-Hans": "国家气象信息中心", "en": "National Meteorological Information Centre"},
    )
    dataset = dict(full_dataset, name=f"{full_dataset['name']}-{suffix}")
    served.action.package_create(owner_org=unit["id"], **dataset)
    shown = served.action.package_show(id=dataset["name"])
    for key, value in dataset.items():
        if key != "resources":
            assert shown[key] == value, key
    with pytest.raises(ckanapi.ValidationError) as refused:
        served.action.package_create(
            owner_org=unit["id"], **dict(dataset, name=f"secret-{suffix}", secrecy="classified")
        )
    assert "secrecy" in refused.value.error_dict
