"""CKAN's licence ids and the IRIs that name those licences in RDF.

CKAN's licence register lives in CKAN; the feeds are written without it, so
the ids CKAN ships by default are listed here with their canonical IRIs.
A licence missing from this table is written from the dataset's
`license_url` when CKAN gave one.
"""
from typing import Optional

LICENCES = {
    "cc-by": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-nc": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc-zero": "https://creativecommons.org/publicdomain/zero/1.0/",
    "odc-by": "https://opendatacommons.org/licenses/by/1-0/",
    "odc-odbl": "https://opendatacommons.org/licenses/odbl/1-0/",
    "odc-pddl": "https://opendatacommons.org/licenses/pddl/1-0/",
    "gfdl": "https://www.gnu.org/licenses/fdl-1.3.html",
}
_IDS = {uri: licence_id for licence_id, uri in LICENCES.items()}


def licence_iri(record) -> Optional[str]:
    return LICENCES.get(record.get("license_id")) or record.get("license_url") or None


def licence_id(iri: str) -> str:
    """The CKAN licence id for an IRI; the IRI itself when CKAN has none."""
    return _IDS.get(iri) or _IDS.get(iri.replace("http://", "https://", 1)) or iri
