"""sdm-harvest: the standalone SDM harvester and feed publisher (no CKAN needed)."""

__version__ = "0.1.0"
