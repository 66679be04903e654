"""DCAT-AP 3.0.1 conformance of the international records, with pySHACL.

The records are written as the international feed writes them (the one
mapping, rdf/dcat_ap3.py, with the English fallback) and validated in
batches against the vendored shapes (rdf/shacl/, the split files of the
3.0.1 release).  Each finding goes back to its dataset through the node it
is about: every node of a dataset is named under the dataset's IRI.

Validation is the costliest step of an evaluation (pySHACL checks every
property shape on every focus node, about 40 ms a record), so it is done
as little as the findings allow:

- findings are kept by a digest of the dataset's triples (`Cache`): an
  unchanged record is not validated again;
- records of the same *structure* are validated once.  The shapes look at a
  literal only through its datatype, language and well-formedness, at a
  node the record describes only through its triples, at an IRI nothing
  describes (a file's URL) only as an IRI, and count values only up to 1
  (`_abstraction_holds` checks this of the loaded shapes).  Two records
  whose triples are the same after naming their own nodes by order of
  appearance, and their literals and undescribed IRIs by kind (at most two
  of a kind on one property counted), therefore get the same findings, with
  the one's nodes in place of the other's; `_structure` computes that key,
  and one record of each structure is validated.
  tests/evaluation/test_conformance.py holds the findings to those of
  validating every record on its own.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import re
from typing import TYPE_CHECKING, Iterable, Mapping, MutableMapping

from sdm_schema.rdf import dcat_ap3
from sdm_schema.rdf.mapping import dataset_triples, page_vocabulary
from sdm_schema.rdf.terms import Literal, to_rdflib

if TYPE_CHECKING:
    from rdflib import Graph

    from sdm_schema.rdf.terms import IRI, Term, Triple

SHAPES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "rdf", "shacl")
SHAPE_FILES = ("shapes.ttl", "range.ttl")
BATCH = 500  # measured: larger batches validate faster per record, up to about this size
WORKERS = min(2, os.cpu_count() or 1)
PARALLEL_MIN = 100  # records a worker: below that a second process costs more than it saves
_SH = "http://www.w3.org/ns/shacl#"
# constraint parameters that read a literal's value, an IRI's spelling or a
# count above 1: with any of them in the shapes, records of one structure
# may differ in findings, and every record is validated on its own
_VALUE_READING = {
    _SH + name
    for name in (
        "pattern minLength maxLength languageIn uniqueLang in hasValue minInclusive maxInclusive minExclusive "
        "maxExclusive equals disjoint lessThan lessThanOrEquals sparql select ask target targetNode "
        "qualifiedValueShape qualifiedMinCount qualifiedMaxCount expression js"
    ).split()
}
_MARK = "\x00"


@functools.cache
def shapes() -> Graph:
    import rdflib

    graph = rdflib.Graph()
    for name in SHAPE_FILES:
        graph.parse(os.path.join(SHAPES_DIR, name))
    return graph


@functools.cache
def _abstraction_holds() -> bool:
    """Whether findings depend only on a record's structure (see above)."""
    import rdflib

    graph, sh = shapes(), rdflib.Namespace(_SH)
    if any(str(p) in _VALUE_READING for p in graph.predicates()):
        return False
    counts = [int(o) for p in (sh.minCount, sh.maxCount) for o in graph.objects(None, p)]
    return max(counts, default=0) <= 1


@functools.cache
def _vocabulary() -> tuple:
    """The triples a page carries once, and the nodes they describe."""
    triples = tuple(page_vocabulary(dcat_ap3.PROFILE))
    return triples, frozenset(str(t[0]) for t in triples)


def _digest(triples: Iterable[Triple]) -> str:
    return hashlib.sha256("\n".join(sorted(map(repr, triples))).encode()).hexdigest()


def _literal_kind(term: Literal, kinds: dict) -> tuple:
    """What the shapes can see of a literal: datatype, language, and for a
    typed one whether rdflib reads it (ill-typed or not, as what type)."""
    if term.datatype is None:
        return (None, term.lang)
    kind = kinds.get(term)
    if kind is None:
        value = to_rdflib(term)
        kind = kinds[term] = (term.datatype, term.lang, value.ill_typed, type(value.value).__name__)
    return kind


def _structure(subject: IRI, triples: list[Triple], kinds: dict) -> tuple:
    """(key, nodes): the record's structure and its own nodes in order of
    appearance (the dataset first).  Its own nodes are the dataset, nodes
    named under it and nodes it describes that the page's vocabulary does not."""
    if not _abstraction_holds():
        return _digest(triples), [str(subject)]
    described_elsewhere = _vocabulary()[1]
    own = {str(s) for s, _p, _o in triples} - described_elsewhere
    subject = str(subject)
    nodes, tokens = {subject: 0}, {}

    def token(term: Term) -> tuple:
        found = tokens.get(term)
        if found is None:
            text = str(term)
            if text in own or text == subject or text.startswith(subject + "#"):
                found = ("n", nodes.setdefault(text, len(nodes)))
            elif text in described_elsewhere:
                found = ("i", text)
            else:  # an IRI nothing describes: only its being an IRI shows
                found = ("l", "IRI")
            tokens[term] = found
        return found

    rows, values = set(), {}
    for s, p, o in triples:
        s_token = token(s)
        o_token = ("l", _literal_kind(o, kinds)) if isinstance(o, Literal) else token(o)
        if o_token[0] == "l":
            place = (s_token, str(p), o_token)
            values[place] = min(values.get(place, 0) + 1, 2)
        else:
            rows.add((s_token, str(p), o_token))
    rows.update((s, p, (*kind, n)) for (s, p, kind), n in values.items())
    key = hashlib.sha256(repr(sorted(rows)).encode()).hexdigest()
    return key, list(nodes)


def _text(focus: str, path: str, message: str) -> str:
    """One finding as text: the node (dataset-relative), the path, the message."""
    where = focus.rsplit("#", 1)[1] if "#" in focus else "dataset"
    return f"{where} {path}: {message}"


def _results(batch: list) -> dict:
    """{dataset key: {(focus, path, message)}} for [(key, subject, triples)],
    validated together."""
    import pyshacl
    import rdflib

    graph = rdflib.Graph()
    for triple in _vocabulary()[0]:
        graph.add(tuple(map(to_rdflib, triple)))
    owner = {}
    for key, subject, triples in batch:
        for triple in triples:
            graph.add(tuple(map(to_rdflib, triple)))
            owner[str(triple[0])] = key
        owner[str(subject)] = key
    _conforms, results, _report = pyshacl.validate(graph, shacl_graph=shapes(), inference="none")
    found = {key: set() for key, _s, _t in batch}
    sh = rdflib.Namespace(_SH)
    for node in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = str(results.value(node, sh.focusNode))
        key = owner.get(focus) or owner.get(focus.split("#", 1)[0])
        if key is not None:
            path = results.value(node, sh.resultPath)
            short = str(path).rsplit("/", 1)[-1].rsplit("#", 1)[-1] if path is not None else "-"
            found[key].add((focus, short, str(results.value(node, sh.resultMessage))))
    return found


def _validate(batch: list) -> dict:
    """{dataset key: [finding]} for [(key, subject, triples)]."""
    return {key: sorted({_text(*f) for f in found}) for key, found in _results(batch).items()}


def _template(results: set, nodes: list) -> list:
    """A record's results with its own nodes replaced by their place."""
    place = {node: i for i, node in enumerate(nodes)}
    # longest first: a node named under the dataset begins with the dataset's IRI
    spelled = re.compile("|".join(re.escape(n) for n in sorted(nodes, key=len, reverse=True)))

    def mark(text: str) -> str:
        return spelled.sub(lambda m: f"{_MARK}{place[m.group(0)]}{_MARK}", text)

    return [(mark(focus), path, mark(message)) for focus, path, message in results]


def _render(template: list, nodes: list) -> list:
    marked = re.compile(f"{_MARK}(\\d+){_MARK}")

    def unmark(text: str) -> str:
        return marked.sub(lambda m: nodes[int(m.group(1))], text)

    return sorted({_text(unmark(focus), path, unmark(message)) for focus, path, message in template})


def check(
    records: Iterable[Mapping], base_url: str, cache: MutableMapping | None = None, today: dt.date | None = None
) -> dict:
    """{dataset id or name: [finding] ([] = conforms)} for the records the
    international feed carries; records it leaves out are not listed."""
    cache = {} if cache is None else cache
    out, pending, kinds = {}, {}, {}
    for record in records:
        subject, triples = dataset_triples(record, dcat_ap3.PROFILE, base_url, today)
        if subject is None:
            continue
        key = record.get("id") or record.get("name")
        digest = _digest(triples)
        if digest in cache:
            out[key] = list(cache[digest])
            continue
        structure, nodes = _structure(subject, triples, kinds)
        pending.setdefault(structure, []).append((key, subject, triples, digest, nodes))
    groups = list(pending.values())
    found = _validate_all([group[0][:3] for group in groups])
    for group in groups:
        template = _template(found[group[0][0]], group[0][4])
        for key, _s, _t, digest, nodes in group:
            out[key] = cache[digest] = _render(template, nodes)
    return out


def _validate_all(records: list) -> dict:
    """_results of [(key, subject, triples)] in batches, on two worker
    processes from 2 × PARALLEL_MIN records on."""
    workers = WORKERS if len(records) >= WORKERS * PARALLEL_MIN else 1
    size = min(BATCH, -(-len(records) // workers)) or 1
    batches = [records[start : start + size] for start in range(0, len(records), size)]
    found = {}
    if workers == 1:
        for batch in batches:
            found.update(_results(batch))
        return found
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for part in pool.map(_in_worker, batches):
            found.update(part)
    return found


def _in_worker(batch: list) -> dict:
    """_results of a batch in a fresh interpreter (`python -m` this module):
    it inherits nothing of the caller (a CKAN command's database
    connections), and runs no caller's main module again, as
    multiprocessing's spawn would of a script without a main guard."""
    import pickle
    import subprocess
    import sys

    # where this sdm_schema is found, whether installed or in a source tree
    home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (home, os.environ.get("PYTHONPATH")))))
    done = subprocess.run(
        [sys.executable, "-m", "sdm_schema.evaluation.conformance"],
        input=pickle.dumps(batch),
        capture_output=True,
        env=env,
    )
    if done.returncode:
        raise RuntimeError(f"DCAT-AP validation worker failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return pickle.loads(done.stdout)


if __name__ == "__main__":  # a worker of _in_worker: a pickled batch in, its results out
    import pickle
    import sys

    pickle.dump(_results(pickle.load(sys.stdin.buffer)), sys.stdout.buffer)
