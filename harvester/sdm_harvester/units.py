"""Responsible units (责任单位): the record's own, else the source's department.

A record may name the unit that answers for it: a DCAT dct:publisher with
its unified social credit code, a CKAN organisation with `uscc`, a DataCite
publisher or contributor with a USCC name identifier, a spreadsheet's
责任单位 columns.  That unit is the record's, whoever harvests it: a city
harvesting a department, or a province harvesting the city, never replaces
it with itself.  The source's configured department is only the default,
and is recorded as the harvesting unit of each record (its provenance).

A unit is keyed by its USCC.  A unit named without a code is looked up by
name among the departments the configuration knows; one found nowhere
cannot be keyed, so the source's department stands in and the run report
says so for that record.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from sdm_harvester.config import Department
from sdm_schema import dataset_field, lang, validation
from sdm_schema.codelist import _fold


def organization(uscc: str, names: Mapping[str, str], default_lang: str = lang.SIMPLIFIED) -> dict:
    """The organisation dict of a unit as the store and CKAN targets keep it."""
    names = dict(names)
    title = lang.pick(names, default_lang) or uscc
    return {"name": "uscc-" + uscc.lower(), "title": title, "title_translated": names, "uscc": uscc}


def of_department(department: Department) -> dict:
    return organization(department.uscc, department.name)


class Units:
    """Resolves the unit a record names against the known departments."""

    def __init__(self, department: Department, known: Iterable[Department] = ()) -> None:
        self.department = department
        self._by_code = {d.uscc.upper(): d for d in (department, *known)}
        self._by_name = {}
        for unit in (department, *known):
            for name in unit.name.values():
                self._by_name.setdefault(_fold(name), unit)

    def resolve(self, named: Mapping | None) -> tuple[dict, str | None]:
        """(organisation, warning): the record's own unit when it names one
        that can be keyed, else the department (with a warning when the
        record named a unit that could not be identified).  A code that is
        no valid USCC raises validation.Invalid, naming the field."""
        if not named:
            return of_department(self.department), None
        names = {
            tag: str(text).strip()
            for tag, text in (named.get("title_translated") or {}).items()
            if str(text or "").strip()
        }
        code = str(named.get("uscc") or "").strip().upper()
        if code:
            code = validation.uscc(code, dataset_field("owner_org"), {}, None)
            known = self._by_code.get(code)
            # the names the record gives win; a known unit fills in the rest
            return organization(code, {**(dict(known.name) if known else {}), **names}), None
        known = next((self._by_name[_fold(n)] for n in names.values() if _fold(n) in self._by_name), None)
        if known is not None:
            return of_department(known), None
        if not names:
            return of_department(self.department), None
        shown = " / ".join(names.values())
        return of_department(self.department), (
            f"the responsible unit {shown!r} has no unified social credit code and is not a configured "
            f"department; recorded under {self.department.uscc} instead"
        )
