"""ckanext-dcat profiles for the SDM feeds, registered in setup.py under
`ckan.rdf.profiles`: sdm_national, sdm_dcat_ap3, sdm_schemaorg."""

from ckanext.sdm.profiles.dcat_ap3 import SdmDcatAp3Profile  # noqa: F401
from ckanext.sdm.profiles.national import SdmNationalProfile  # noqa: F401
from ckanext.sdm.profiles.schemaorg import SdmSchemaOrgProfile  # noqa: F401
