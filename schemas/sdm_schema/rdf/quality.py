"""The evaluation's measurements as W3C DQV, in the national feed.

A dataset dict may carry `quality_measurements`, {indicator key or
"score": value 0-100}, put there by whoever publishes it from its latest
evaluation (sdm-harvest publish from evaluation.sqlite).  The national
profile writes each as a dqv:QualityMeasurement of the indicator's metric,
`sdm:metric-<key>`, which sdm.ttl defines with its dimension
(`sdm:dimension-<key>`) and bilingual labels, all read from
sdm_schema/evaluation/indicators.yaml.  The international profile writes
none: its feed stays within the DCAT-AP shapes.

Measurements are not read back from a harvested feed: they are the
publishing centre's judgement of the record, and each centre evaluates
what it holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, Mapping

from sdm_schema.rdf.mapping import Rule
from sdm_schema.rdf.namespaces import DQV, RDFS, SDM, XSD
from sdm_schema.rdf.terms import IRI, TYPE, Literal, Triple

if TYPE_CHECKING:
    from sdm_schema.rdf.mapping import Context

FIELD = "quality_measurements"
SCORE = "score"
SCORE_LABEL = {"zh-Hans": "总分", "en": "Overall score"}


def metric(key: str) -> IRI:
    return IRI(f"{SDM}metric-{key}")


def dimension(key: str) -> IRI:
    return IRI(f"{SDM}dimension-{key}")


def vocabulary_triples() -> Iterator[Triple]:
    """The dimensions and metrics, for sdm.ttl."""
    from sdm_schema.evaluation import dimensions

    for d in dimensions():
        yield dimension(d.key), TYPE, IRI(DQV + "Dimension")
        yield from _labelled(dimension(d.key), d.label)
        for indicator in d.indicators:
            yield from _metric(indicator.key, indicator.label)
            yield metric(indicator.key), IRI(DQV + "inDimension"), dimension(d.key)
            yield metric(indicator.key), IRI(RDFS + "comment"), Literal(indicator.source, "en")
    yield from _metric(SCORE, SCORE_LABEL)


def _labelled(subject: IRI, label: Mapping[str, str]) -> Iterator[Triple]:
    yield subject, IRI(RDFS + "isDefinedBy"), IRI(SDM)
    for tag, text in label.items():
        yield subject, IRI(RDFS + "label"), Literal(text, tag)


def _metric(key: str, label: Mapping[str, str]) -> Iterator[Triple]:
    yield metric(key), TYPE, IRI(DQV + "Metric")
    yield metric(key), IRI(DQV + "expectedDataType"), IRI(XSD + "decimal")
    yield from _labelled(metric(key), label)


class QualityRule(Rule):
    """Each measurement a node of the dataset: dqv:hasQualityMeasurement."""

    def triples(self, subject: IRI, record: Mapping, ctx: Context) -> Iterator[Triple]:
        from sdm_schema.evaluation import indicators

        known = set(indicators()) | {SCORE}
        for key, value in sorted((record.get(FIELD) or {}).items()):
            if key not in known or value is None:
                continue
            node = ctx.node(f"quality-{key}")
            yield subject, IRI(DQV + "hasQualityMeasurement"), node
            yield node, TYPE, IRI(DQV + "QualityMeasurement")
            yield node, IRI(DQV + "isMeasurementOf"), metric(key)
            yield node, IRI(DQV + "computedOn"), subject
            yield node, IRI(DQV + "value"), Literal(f"{float(value):.1f}", None, XSD + "decimal")
