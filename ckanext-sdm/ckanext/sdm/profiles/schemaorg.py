from ckanext.sdm.profiles.base import SdmProfile
from sdm_schema.rdf import schemaorg


class SdmSchemaOrgProfile(SdmProfile):
    """schema.org, public audience (sdm_schema.rdf.schemaorg)."""

    profile = schemaorg.PROFILE
