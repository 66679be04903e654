"""The SDM RDF vocabulary (https://w3id.org/sdm/ns#), made from the schema.

Every SDM field that no standard vocabulary covers gets a property named
after the field (`secrecy_level` → `sdm:secrecyLevel`), labelled and
commented with the field's own zh-Hans/en label and help text, so the
labels live only in sdm_dataset.yaml.  The few terms that are no field
(parts of a fee item, the providing-department role) are defined here.

`python -m sdm_schema.generate` writes the shipped file (with the other
artefacts made from the schema); tests/rdf/test_vocabulary.py checks that
it matches.
"""

from __future__ import annotations

import sys
from typing import Iterable, Iterator

from sdm_schema.loader import codelist, dataset_field
from sdm_schema.rdf.namespaces import DCAT, DCT, DQV, OWL, RDF, RDFS, SDM, SKOS, XSD
from sdm_schema.rdf.terms import IRI, TYPE, Literal, Triple

#: Terms that are no schema field: name → (kind of term, zh-Hans/en label).
EXTRA_TERMS = {
    "feeUnit": ("property", {"zh-Hans": "计费单位", "en": "Fee unit"}),
    "feeCondition": ("property", {"zh-Hans": "收费条件", "en": "Fee condition"}),
    "provider": ("role", {"zh-Hans": "数据提供部门", "en": "Providing department"}),
}


def term_name(field_name: str) -> str:
    head, *rest = field_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def term(field_name: str) -> IRI:
    """The SDM property for a schema field."""
    return IRI(SDM + term_name(field_name))


def extra(name: str) -> IRI:
    if name not in EXTRA_TERMS:
        raise KeyError(name)
    return IRI(SDM + name)


def _field_term_triples(field_name: str) -> Iterator[Triple]:
    field = dataset_field(field_name)
    subject = term(field_name)
    yield subject, TYPE, IRI(RDF + "Property")
    yield subject, IRI(RDFS + "isDefinedBy"), IRI(SDM)
    for tag, text in field.label.items():
        yield subject, IRI(RDFS + "label"), Literal(text, tag)
    for tag, text in field.help_text.items():
        yield subject, IRI(RDFS + "comment"), Literal(text, tag)
    if field.kind_type.range:
        yield subject, IRI(RDFS + "range"), IRI(field.kind_type.range)
    if field.codelist_name:
        yield subject, IRI(RDFS + "seeAlso"), IRI(codelist(field.codelist_name).uri)


def vocabulary_triples(field_names: Iterable[str]) -> Iterator[Triple]:
    ontology = IRI(SDM)
    yield ontology, TYPE, IRI(OWL + "Ontology")
    yield ontology, IRI(DCT + "title"), Literal("科学数据管理词汇", "zh-Hans")
    yield ontology, IRI(DCT + "title"), Literal("Scientific data management vocabulary", "en")
    for name in field_names:
        yield from _field_term_triples(name)
    for name, (kind, label) in EXTRA_TERMS.items():
        subject = IRI(SDM + name)
        cls = RDF + "Property" if kind == "property" else DCAT + "Role"
        yield subject, TYPE, IRI(cls)
        yield subject, IRI(RDFS + "isDefinedBy"), ontology
        for tag, text in label.items():
            yield subject, IRI(RDFS + "label"), Literal(text, tag)
    from sdm_schema.rdf import quality  # the evaluation's metrics (DQV), from indicators.yaml

    yield from quality.vocabulary_triples()


def turtle() -> str:
    """The vocabulary as the Turtle shipped in schemas/sdm_schema/sdm.ttl."""
    import io

    from sdm_schema.rdf.dcat import sdm_term_fields  # dcat names its terms from here
    from sdm_schema.rdf.writers import TurtleWriter

    out = io.StringIO()
    writer = TurtleWriter(
        out,
        {
            "rdf": RDF,
            "rdfs": RDFS,
            "owl": OWL,
            "dct": DCT,
            "dcat": DCAT,
            "skos": SKOS,
            "xsd": XSD,
            "sdm": SDM,
            "dqv": DQV,
        },
    )
    writer.begin()
    writer.write(vocabulary_triples(sdm_term_fields()))
    writer.end()
    return out.getvalue()


if __name__ == "__main__":
    sys.stdout.write(turtle())
