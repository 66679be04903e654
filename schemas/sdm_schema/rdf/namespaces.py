"""The namespaces the feeds use, with the prefixes every writer declares."""

SDM = "https://w3id.org/sdm/ns#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
ADMS = "http://www.w3.org/ns/adms#"
PROV = "http://www.w3.org/ns/prov#"
CV = "http://data.europa.eu/m8g/"
HYDRA = "http://www.w3.org/ns/hydra/core#"
SCHEMA = "http://schema.org/"
DQV = "http://www.w3.org/ns/dqv#"

_EU = "http://publications.europa.eu/resource/authority/"
#: EU Publications Office authority tables, by the code-list extra naming
#: them: (base IRI, the class DCAT-AP's range shapes expect of their IRIs).
EU_AUTHORITY = {
    "eu_frequency": (_EU + "frequency/", DCT + "Frequency"),
    "eu_access_right": (_EU + "access-right/", DCT + "RightsStatement"),
    "eu_language": (_EU + "language/", DCT + "LinguisticSystem"),
}
EU_FILE_TYPE = _EU + "file-type/"
EU_CURRENCY = _EU + "currency/"

#: Prefixes declared in the DCAT feeds (Turtle, RDF/XML, JSON-LD context).
DCAT_PREFIXES = {
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "dcat": DCAT,
    "dct": DCT,
    "foaf": FOAF,
    "vcard": VCARD,
    "skos": SKOS,
    "adms": ADMS,
    "prov": PROV,
    "cv": CV,
    "hydra": HYDRA,
    "sdm": SDM,
    "dqv": DQV,
}
SCHEMAORG_PREFIXES = {"rdf": RDF, "xsd": XSD, "schema": SCHEMA, "hydra": HYDRA}


def expand(curie: str) -> str:
    """`dct:title` → the full IRI, for the terms sdm_dataset.yaml names;
    KeyError naming the prefix when the feeds declare no such prefix."""
    prefix, _, local = curie.partition(":")
    if prefix not in DCAT_PREFIXES or not local:
        raise KeyError(f"{curie!r}: expected prefix:name with a prefix of {', '.join(DCAT_PREFIXES)}")
    return DCAT_PREFIXES[prefix] + local
