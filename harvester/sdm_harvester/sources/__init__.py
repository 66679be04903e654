"""The source types, by the name a configuration gives them."""

from __future__ import annotations

import importlib

from sdm_harvester.sources.base import Context, Harvester

_TYPES = {
    "ckan": "sdm_harvester.sources.ckan:CkanHarvester",
    "datajson": "sdm_harvester.sources.datajson:DataJsonHarvester",
    "dcat": "sdm_harvester.sources.dcat:DcatHarvester",
    "oai-pmh": "sdm_harvester.sources.oai_pmh:OaiPmhHarvester",
    "spreadsheet": "sdm_harvester.sources.spreadsheet:SpreadsheetHarvester",
}


def harvester_for(ctx: Context) -> Harvester:
    # imported on demand: a DCAT source needs pyoxigraph, a
    # spreadsheet openpyxl, and one broken optional dependency should not
    # stop the other sources
    module, _, name = _TYPES[ctx.source.type].partition(":")
    return getattr(importlib.import_module(module), name)(ctx)
