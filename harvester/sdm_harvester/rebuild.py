"""Rebuild from the public exports (R10): what comes back, and what cannot.

When the database and every backup are lost, the national feed is what
survives: `sdm-harvest rebuild` harvests it back into an empty store with
the harvester's own DCAT source (the federation round trip, lossless for
every public field) and then says, for the catalogue at hand, exactly what
the feed never carried and therefore cannot come back.  What a feed
withholds is decided by the one disclosure policy (sdm_schema.disclosure,
the government audience the national feed is published for), so the list
of withheld files here is the same rule the publisher applied.
"""

from __future__ import annotations

import collections
import os
from typing import Iterable, Mapping

from sdm_schema import disclosure

#: The feed's audience: what it withheld is what this audience may not see.
AUDIENCE = disclosure.GOVERNMENT

#: What no feed ever carries, whatever the catalogue holds (code, what).
#: Only a backup (`ckan sdm backup`, `sdm-harvest backup`) brings these back.
NEVER_PUBLISHED: tuple[tuple[str, str], ...] = (
    ("classified_and_private", "classified (涉密) records, private datasets and drafts: no feed lists them"),
    ("withheld_files", "files and download URLs of deferred, conditional and not-open datasets (listed below)"),
    ("unit_only_fields", "the responsible units' quality notes (quality_flags); the rebuild writes its own"),
    ("access_requests", "access requests and grants, with their decisions and expiry"),
    ("certificates", "submission certificates and the site's signing private key"),
    ("audit", "the audit trail"),
    ("blacklist", "the blacklist of refused networks"),
    ("accounts", "user accounts, unit memberships and API tokens"),
    ("feedback", "demands, their supporters and quality reports"),
    ("authorisations", "the register of authorised use"),
    ("evaluation", "the evaluation's history and scorecards"),
    ("harvest_history", "the original harvester's run reports, source states and URL names it chose"),
)


class RebuildError(RuntimeError):
    """A rebuild that must not start (the message says why)."""


def feed_url(location: str) -> str:
    """A feed given as an http(s):// or file:// URL, or a path on disk."""
    if location.startswith(("http://", "https://", "file://")):
        return location
    path = os.path.abspath(location)
    if not os.path.isfile(path):
        raise RebuildError(f"--from {location}: no such file (give the feed's catalog.ttl or its URL)")
    return "file://" + path


def withheld_files(records: Iterable[Mapping]) -> list[dict]:
    """The rebuilt datasets whose files the feed withheld, with the reason
    (deferred, conditional, not_open), by the policy the publisher applied."""
    out = []
    for record in records:
        decision = disclosure.decide(record, AUDIENCE)
        # an embargo that ended after the feed was published: withheld then
        lapsed = decision.resources and disclosure.embargo_end(record) and not record.get("resources")
        if decision.visible and (not decision.resources or lapsed):
            title = record.get("title_translated") or {}
            out.append(
                {
                    "iri": record.get("uri"),
                    "name": record.get("name"),
                    "title": title.get("zh-Hans") or title.get("en"),
                    "reason": disclosure.DEFERRED if lapsed else decision.reason,
                }
            )
    return sorted(out, key=lambda item: item["iri"] or "")


def report(feed: str, records: Iterable[Mapping]) -> dict:
    """What the rebuild brought back and what it could not."""
    records = list(records)
    states = collections.Counter(disclosure.decide(r, AUDIENCE).reason or "open" for r in records)
    return {
        "feed": feed,
        "rebuilt": len(records),
        "disclosure": dict(sorted(states.items())),
        "withheld_files": withheld_files(records),
        "not_recoverable": [{"code": code, "what": what} for code, what in NEVER_PUBLISHED],
    }


def lines(result: Mapping) -> list[str]:
    """The report as the command prints it."""
    states = ", ".join(f"{state} {n}" for state, n in result["disclosure"].items())
    out = [f"rebuilt {result['rebuilt']} datasets from {result['feed']} ({states or 'none'})"]
    out.append("cannot come back from a feed (only a backup holds them):")
    out += [f"  - {item['code']}: {item['what']}" for item in result["not_recoverable"]]
    withheld = result["withheld_files"]
    out.append(f"datasets whose files the feed withheld: {len(withheld)}")
    out += [f"  - {item['iri']} ({item['reason']}): {item['title']}" for item in withheld]
    return out
