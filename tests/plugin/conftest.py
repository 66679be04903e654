import pytest
from ckan.tests import factories
from sample_units import USCC


@pytest.fixture
def responsible_unit(with_plugins, clean_db, clean_index):
    """A responsible unit (organisation) with its unified social credit code."""
    return factories.Organization(
        name="national-meteorological-centre",
        title_translated={"zh-Hans": "国家气象信息中心", "en": "National Meteorological Information Centre"},
        uscc=USCC,
    )


@pytest.fixture
def sysadmin(with_plugins, clean_db):
    return factories.Sysadmin()


@pytest.fixture
def create_dataset(sysadmin, responsible_unit):
    """package_create as a sysadmin in the responsible unit."""
    from ckan.tests.helpers import call_action

    def create(**fields):
        fields.setdefault("owner_org", responsible_unit["id"])
        return call_action("package_create", context={"user": sysadmin["name"]}, **fields)

    return create
