"""The SDM metadata schema: every field, code list and zh/en label, once.

The YAML files beside this module are the single source.  This package gives
them to CKAN (through ckanext-scheming and ckanext-sdm), to the harvester and
to the feeds, and holds the pure-Python rules that read them.  It imports
nothing from CKAN.
"""

from sdm_schema.codelist import Code, CodeList  # noqa: F401
from sdm_schema.loader import (  # noqa: F401
    LANGUAGES,
    Field,
    codelist,
    codelists,
    dataset_field,
    dataset_fields,
    dataset_schema,
    fields_with,
    message,
    organization_fields,
    resource_fields,
    role_values,
    schema_path,
    sections,
)
