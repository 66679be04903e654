"""Evaluation and oversight of the responsible units (R12): quality and
openness scores per dataset and per unit, CKAN-free.

The CKAN plugin (`ckan sdm evaluate`, the scorecard pages and actions) and
the harvester (`sdm-harvest evaluate`) both call this package, so a unit
scores the same wherever it is evaluated.  What is measured, and how much
each part weighs, is defined once in indicators.yaml (definitions.py);
one function per indicator computes it (checks.py); scoring.py turns
values into 0-100 scores and bands; conformance.py validates the
international records with the DCAT-AP 3.0.1 shapes; report.py writes the
scorecard as JSON and CSV.  docs/evaluation.md explains every indicator.

The link check that feeds the accessibility indicator visits the network
and lives with the harvester's guarded HTTP client (sdm_harvester.linkcheck).
"""

from sdm_schema.evaluation.checks import Facts, LinkResult, UnitFacts, request_counts, resource_urls
from sdm_schema.evaluation.definitions import band, bands, dimensions, figures, indicators
from sdm_schema.evaluation.scoring import (
    DatasetEvaluation,
    UnitEvaluation,
    evaluate_catalogue,
    evaluate_dataset,
    evaluate_unit,
    evaluate_units,
    unit_of,
)

__all__ = [
    "band",
    "bands",
    "dimensions",
    "figures",
    "indicators",
    "Facts",
    "UnitFacts",
    "LinkResult",
    "request_counts",
    "resource_urls",
    "DatasetEvaluation",
    "UnitEvaluation",
    "evaluate_catalogue",
    "evaluate_dataset",
    "evaluate_unit",
    "evaluate_units",
    "unit_of",
]
