"""The harvester's quality notes (quality_flags) are for the responsible
unit: its members see them on the dataset page, in their language; the
public gets neither the notes nor the raw values in any answer."""

import pytest
from acting import signed_in
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
FLAGS = [
    {
        "field": "contact_phone",
        "problem": {"zh-Hans": "电话号码无效", "en": "not a phone number"},
        "value": "0sdm-raw-phone",
    },
    {
        "field": "update_cycle",
        "problem": {"zh-Hans": "未知更新周期", "en": "unknown update cycle"},
        "value": "每逢闰年",
    },
]


@pytest.fixture
def flagged(create_dataset):
    return create_dataset(
        name="flagged", title_translated={"zh-Hans": "有问题的数据", "en": "Flagged data"}, quality_flags=FLAGS
    )


def test_members_see_the_notes_on_the_page_in_their_language(app, flagged, responsible_unit):
    editor = factories.User()
    call_action("organization_member_create", id=responsible_unit["id"], username=editor["name"], role="editor")
    zh = app.get("/dataset/flagged", headers=signed_in(editor)).body
    en = app.get("/en/dataset/flagged", headers=signed_in(editor)).body
    assert "采集时发现的问题" in zh and "电话号码无效" in zh and "0sdm-raw-phone" in zh
    assert "Problems found while harvesting" in en and "not a phone number" in en and "Update cycle" in en


def test_the_public_gets_no_notes_from_the_page_or_the_api(app, flagged):
    outsider = factories.User()
    for headers in ({}, signed_in(outsider)):
        assert "0sdm-raw-phone" not in app.get("/dataset/flagged", headers=headers).body
    shown = call_action("package_show", context={"user": outsider["name"], "ignore_auth": False}, id="flagged")
    assert "quality_flags" not in shown
    found = call_action(
        "package_search",
        context={"user": "", "ignore_auth": False},
        q="name:flagged",
        fl="name,quality_flags,extras_quality_flags",
    )
    assert "0sdm-raw-phone" not in str(found)
