from ckanext.sdm.profiles.base import SdmProfile
from sdm_schema.rdf import national


class SdmNationalProfile(SdmProfile):
    """DCAT 3 + SDM vocabulary, government audience (sdm_schema.rdf.national)."""

    profile = national.PROFILE
