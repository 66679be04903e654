"""One distribution: the CKAN plugin, the harvester and the schema.

The harvester and the schema install and run without CKAN; the `ckan` extra
adds what only the CKAN plugin needs.  CKAN itself is installed separately
with `pip install 'ckan[requirements]==2.11.6'` (see README), because
CKAN's own package declares none of its dependencies.
"""

from setuptools import find_packages, setup

VERSION = "0.1.0"


def _packages(name: str, folder: str) -> list[str]:
    """A package and its subpackages, found in a folder of another name."""
    return [name, *(f"{name}.{sub}" for sub in find_packages(folder))]


setup(
    name="ckanext-sdm",
    version=VERSION,
    description=(
        "Scientific data catalogue under China's Administrative Measures for "
        "Scientific Data: CKAN extension, harvester and federation feeds"
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.10",
    package_dir={
        "ckanext": "ckanext-sdm/ckanext",
        "sdm_harvester": "harvester/sdm_harvester",
        "sdm_schema": "schemas/sdm_schema",
    },
    # ckanext is a namespace shared by every CKAN extension (PEP 420: no
    # __init__.py of ours), so the packages are listed from ckanext.sdm down.
    packages=[
        *_packages("ckanext.sdm", "ckanext-sdm/ckanext/sdm"),
        *_packages("sdm_harvester", "harvester/sdm_harvester"),
        *_packages("sdm_schema", "schemas/sdm_schema"),
    ],
    include_package_data=True,
    package_data={
        "ckanext.sdm": ["*.yml", "templates/**/*", "assets/*", "migration/**/*", "i18n/*/LC_MESSAGES/*"],
        "sdm_schema": [
            "*.yaml",
            "codelists/*.yaml",
            "*.ttl",
            "rdf/*.yaml",
            "rdf/shacl/*",
            "evaluation/*.yaml",
            "rdf/contexts/*.jsonld",
            "rdf/contexts/*.gz",
            "rdf/contexts/*.yaml",
        ],
    },
    install_requires=[
        "PyYAML>=6",
        "python-stdnum>=1.19",
        "opencc>=1.1.6",
        "click>=8",
        "requests>=2.28",
        "rdflib>=7",
        "pyoxigraph>=0.4",
        "lxml>=5",
        "defusedxml>=0.7",
        "openpyxl>=3.1",
        # international phone numbers (the lite build: no geocoding data)
        "phonenumberslite>=8.13",
        # offline language identification of untagged harvested text
        "py3langid>=0.3",
        # the evaluation checks each international record with the DCAT-AP shapes
        "pyshacl>=0.26",
        # the store: SQLite by default, PostgreSQL when shared (CKAN 2.11
        # pins SQLAlchemy 1.4 and psycopg2; the store works on 1.4 and 2.0)
        "SQLAlchemy>=1.4.24,<2.1",
        "psycopg2>=2.9",
        # many workers: rq over Redis, as CKAN's own background jobs
        "rq>=1.16,<2",
        "redis>=4.5",
    ],
    extras_require={
        # Citations, certificates and search text live beside the plugin:
        # a harvester-only install needs neither jieba nor cryptography.
        "ckan": [
            "jieba>=0.42",
            "cryptography>=42",
            "ckanext-scheming==3.1.0",
            "ckanext-dcat==2.4.4",
            "ckanapi>=4.7",
            "segno>=1.6",  # the WeChat share target's QR code
            "pypinyin>=0.51",  # URL names from Chinese titles (ckanext.sdm.slugs)
            "pygal>=3.0",  # the evaluation's charts, SVG drawn on the server
        ],
        "test": [
            "pytest>=7",
            "pytest-factoryboy>=2.5",
            "pytest-xdist>=3.5",  # dev/run-tests.sh shares the CKAN tests among processes
            "factory-boy>=3.2",
            "Faker>=18",
            "snowballstemmer>=2.2",
            "pyshacl>=0.26",
            "aiosmtpd>=1.4",  # a local SMTP server for the notification tests
            "ckanapi>=4.7",
            # a stock site's ckanext-dcat RDF harvester reads our international
            # feed (tests/harvester/test_dcat_rdf_harvester.py)
            "ckanext-harvest==1.6.3",
            # tests/browser drives Debian's chromium (dev/bootstrap.sh apt), no browser download
            "playwright>=1.40",
            "ruff>=0.6",  # make lint: ruff.toml
        ],
    },
    entry_points={
        "ckan.plugins": [
            "sdm = ckanext.sdm.plugin:SdmPlugin",
        ],
        "console_scripts": [
            "sdm-harvest = sdm_harvester.cli:main",
        ],
        # ckanext-dcat reads profiles from this group (RDF_PROFILES_ENTRY_POINT_GROUP)
        "ckan.rdf.profiles": [
            "sdm_national = ckanext.sdm.profiles:SdmNationalProfile",
            "sdm_dcat_ap3 = ckanext.sdm.profiles:SdmDcatAp3Profile",
            "sdm_schemaorg = ckanext.sdm.profiles:SdmSchemaOrgProfile",
        ],
        "babel.extractors": [
            "ckan = ckan.lib.extract:extract_ckan",
        ],
    },
)
