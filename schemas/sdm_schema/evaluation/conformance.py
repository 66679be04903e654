"""DCAT-AP 3.0.1 conformance of the international records, with pySHACL.

The records are written as the international feed writes them (the one
mapping, rdf/dcat_ap3.py, with the English fallback) and validated in
batches against the vendored shapes (rdf/shacl/, the split files of the
3.0.1 release).  Each finding goes back to its dataset through the node it
is about: every node of a dataset is named under the dataset's IRI.

Validation is the costliest step of an evaluation, so its findings are kept
by a digest of the dataset's triples (`Cache`): an unchanged record is not
validated again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from typing import Iterable, Mapping, MutableMapping

from sdm_schema.rdf import dcat_ap3
from sdm_schema.rdf.mapping import dataset_triples, page_vocabulary
from sdm_schema.rdf.terms import to_rdflib

SHAPES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rdf", "shacl")
SHAPE_FILES = ("shapes.ttl", "range.ttl")
BATCH = 500  # measured: larger batches validate faster per record, up to about this size
_SH = "http://www.w3.org/ns/shacl#"


@functools.cache
def shapes():
    import rdflib

    graph = rdflib.Graph()
    for name in SHAPE_FILES:
        graph.parse(os.path.join(SHAPES_DIR, name))
    return graph


def _digest(triples) -> str:
    return hashlib.sha256("\n".join(sorted(map(repr, triples))).encode()).hexdigest()


def _finding(results, node) -> str:
    """One result as text: the path, the message, the node (dataset-relative)."""
    import rdflib

    sh = rdflib.Namespace(_SH)
    path = results.value(node, sh.resultPath)
    text = results.value(node, sh.resultMessage)
    focus = str(results.value(node, sh.focusNode))
    where = focus.rsplit("#", 1)[1] if "#" in focus else "dataset"
    short = str(path).rsplit("/", 1)[-1].rsplit("#", 1)[-1] if path is not None else "-"
    return f"{where} {short}: {text}"


def _validate(batch: list) -> dict:
    """{dataset key: [finding]} for [(key, subject, triples)]."""
    import pyshacl
    import rdflib

    graph = rdflib.Graph()
    for triple in page_vocabulary(dcat_ap3.PROFILE):
        graph.add(tuple(map(to_rdflib, triple)))
    owner = {}
    for key, subject, triples in batch:
        for triple in triples:
            graph.add(tuple(map(to_rdflib, triple)))
            owner[str(triple[0])] = key
        owner[str(subject)] = key
    _conforms, results, _text = pyshacl.validate(graph, shacl_graph=shapes(), inference="none")
    found = {key: [] for key, _s, _t in batch}
    sh = rdflib.Namespace(_SH)
    for node in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = str(results.value(node, sh.focusNode))
        key = owner.get(focus) or owner.get(focus.split("#", 1)[0])
        if key is not None:
            found[key].append(_finding(results, node))
    return {key: sorted(set(v)) for key, v in found.items()}


def check(
    records: Iterable[Mapping], base_url: str, cache: MutableMapping | None = None, today: dt.date | None = None
) -> dict:
    """{dataset id or name: [finding] ([] = conforms)} for the records the
    international feed carries; records it leaves out are not listed."""
    cache = {} if cache is None else cache
    out, pending = {}, []
    for record in records:
        subject, triples = dataset_triples(record, dcat_ap3.PROFILE, base_url, today)
        if subject is None:
            continue
        key = record.get("id") or record.get("name")
        digest = _digest(triples)
        if digest in cache:
            out[key] = list(cache[digest])
        else:
            pending.append((key, subject, triples, digest))
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        found = _validate([(k, s, t) for k, s, t, _d in batch])
        for key, _s, _t, digest in batch:
            out[key] = cache[digest] = found[key]
    return out
