"""No forbidden record or file URL appears on CKAN's DCAT endpoints
(ckanext-dcat's /catalog.* and /dataset/<id>.*), for each SDM profile and
format: the combination catalogue of tests/disclosure_cases.py, built in
real CKAN."""

import pytest
from ckan import model
from ckan.lib import search
from ckan.tests import factories
from disclosure_cases import GOVERNMENT, INTERNATIONAL, PUBLIC, combinations, mismatches

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

PROFILES = {"sdm_national": GOVERNMENT, "sdm_dcat_ap3": INTERNATIONAL, "sdm_schemaorg": PUBLIC}
FORMATS = ("ttl", "rdf", "jsonld")
#: What decides disclosure, written straight to the database: the schema
#: refuses most of these combinations (classified data that is open, core
#: data that is unconditional, embargoes in the past), and the endpoints
#: must hide such records all the same, whatever put them there.
POLICY_FIELDS = (
    "secrecy",
    "secrecy_level",
    "declassify_condition",
    "open_attribute",
    "open_condition",
    "data_grade",
    "disclosure",
    "deferral_reason",
    "embargo_until",
)


@pytest.fixture
def combination_catalogue(create_dataset):
    records = combinations()
    for _token, _axes, record in records:
        create_dataset(**{k: record[k] for k in ("id", "name", "title_translated", "notes_translated", "resources")})
        package = model.Package.get(record["id"])
        for name in POLICY_FIELDS:
            if name in record:
                package.extras[name] = record[name]
    model.repo.commit()
    for _token, _axes, record in records:
        search.rebuild(record["id"])
    return records


def _text(response):
    return response.get_data(as_text=True)


def test_dcat_endpoints_show_exactly_what_the_profile_and_reader_may_see(app, combination_catalogue, sysadmin):
    # one test, so the catalogue is built once
    admin = {"Authorization": factories.APIToken(user=sysadmin["name"])["token"]}
    for profile, audience in PROFILES.items():
        for fmt in FORMATS:
            url = f"/catalog.{fmt}?profiles={profile}"
            anonymous = app.get(url)
            assert anonymous.status_code == 200, url
            assert mismatches(_text(anonymous), combination_catalogue, audience, PUBLIC) == [], url
        # a sysadmin sees every file in CKAN, but the profile's catalogue
        # is still the one its audience may see
        as_admin = app.get(f"/catalog.ttl?profiles={profile}", headers=admin)
        assert mismatches(_text(as_admin), combination_catalogue, audience) == [], (profile, "sysadmin")

    for number, case in enumerate(combination_catalogue):
        token, (secrecy, _open_attr, _disclosure, _grade), record = case
        for profile, audience in PROFILES.items():
            url = f"/dataset/{record['id']}.{FORMATS[number % len(FORMATS)]}?profiles={profile}"
            response = app.get(url)
            text = _text(response)
            if secrecy == "classified":
                assert response.status_code == 403, url
                text = text.replace(record["id"], "")  # the error page repeats the URL asked for
            else:
                assert response.status_code == 200, url
            assert mismatches(text, [case], audience, PUBLIC) == [], url
