from ckanext.sdm.profiles.base import SdmProfile
from sdm_schema.rdf import dcat_ap3


class SdmDcatAp3Profile(SdmProfile):
    """DCAT-AP 3.0.1, international audience (sdm_schema.rdf.dcat_ap3)."""

    profile = dcat_ap3.PROFILE
