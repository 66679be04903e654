"""The national profile: DCAT 3 with the SDM vocabulary, for government
platforms.  Everything the government audience may see is written, with the
project's own code IRIs, so that parse(serialize(x)) gives x back."""

from sdm_schema import disclosure
from sdm_schema.rdf import dcat
from sdm_schema.rdf.catalog import national_catalog
from sdm_schema.rdf.mapping import Profile
from sdm_schema.rdf.namespaces import DCAT, DCAT_PREFIXES
from sdm_schema.rdf.quality import QualityRule

PROFILE = Profile(
    name="sdm_national",
    audience=disclosure.GOVERNMENT,
    # the DCAT rules, and the evaluation's measurements as DQV (quality.py)
    rules=(*dcat.rules(), QualityRule()),
    prefixes=DCAT_PREFIXES,
    dataset_class=DCAT + "Dataset",
    # the catalogue links the register of authorised use (R14)
    catalog=national_catalog,
    dataset_link=DCAT + "dataset",
)
