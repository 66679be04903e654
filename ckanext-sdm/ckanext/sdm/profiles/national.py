from sdm_schema.rdf import national

from ckanext.sdm.profiles.base import SdmProfile


class SdmNationalProfile(SdmProfile):
    """DCAT 3 + SDM vocabulary, government audience (sdm_schema.rdf.national)."""

    profile = national.PROFILE
