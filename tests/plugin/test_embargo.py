"""`ckan sdm lift-embargoes`: due embargoes end, others wait, reruns change nothing."""

import datetime as dt

import pytest
from ckan.tests.helpers import call_action

from ckanext.sdm.cli import sdm

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


@pytest.fixture
def today():
    """The day the test runs (not the one its module was imported on: a
    suite that runs past midnight would make "tomorrow" today)."""
    return dt.date.today()


@pytest.fixture
def deferred(create_dataset, today):
    def make(name, days):
        return create_dataset(
            name=name,
            title_translated={"zh-Hans": name},
            disclosure="deferred",
            deferral_reason="paper",
            embargo_until=(today + dt.timedelta(days=days)).isoformat(),
            resources=[{"url": f"https://files.example.cn/{name}.csv"}],
        )

    return make


def run(cli, day):
    result = cli.invoke(sdm, ["lift-embargoes", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_due_embargo_is_lifted_and_the_other_waits(cli, deferred, today):
    deferred("due-soon", 10)
    deferred("due-later", 200)
    output = run(cli, today + dt.timedelta(days=10))
    assert "lifted due-soon" in output and "due-later" not in output
    lifted = call_action("package_show", id="due-soon")
    assert lifted["disclosure"] == "public"
    assert lifted["embargo_lifted"].startswith(str(dt.datetime.now(dt.UTC).year))
    assert call_action("package_show", id="due-later")["disclosure"] == "deferred"
    # the public now sees the files of the lifted dataset
    shown = call_action("package_show", context={"user": None, "ignore_auth": False}, id="due-soon")
    assert shown["resources"][0]["url"] == "https://files.example.cn/due-soon.csv"


def test_rerun_is_idempotent(cli, deferred, today):
    deferred("due-soon", 10)
    day = today + dt.timedelta(days=11)
    assert "1 embargo(es) lifted" in run(cli, day)
    first = call_action("package_show", id="due-soon")["embargo_lifted"]
    assert "0 embargo(es) lifted" in run(cli, day)
    assert call_action("package_show", id="due-soon")["embargo_lifted"] == first


def test_a_passed_date_discloses_even_before_the_job_runs(deferred, today):
    deferred("due-soon", 1)
    # the policy itself compares the date: simulate tomorrow
    from sdm_schema import disclosure

    shown = call_action("package_show", id="due-soon")
    assert disclosure.decide(shown, disclosure.PUBLIC, today=today + dt.timedelta(days=1)).resources
    assert not disclosure.decide(shown, disclosure.PUBLIC, today=today).resources
