"""The /select handler: q + fq, sort, paging, fl and facets."""

import functools
import re
from fnmatch import fnmatchcase

from .errors import SolrError
from .facets import facet_counts
from .parsers import parse_query
from .query import MatchAll

# Request features the double does not emulate: fail rather than answer
# without the section the client asked for.
_UNSUPPORTED_SWITCHES = ("hl", "group", "stats", "spellcheck", "mlt",
                         "terms", "debugQuery")


def select(index, params):
    schema = index.schema
    snap = index.snapshot
    for name in _UNSUPPORTED_SWITCHES:
        if params.get_bool(name):
            raise SolrError("%s=true is not supported by the Solr double" % name)
    if params.get("cursorMark") is not None:
        raise SolrError("cursorMark is not supported by the Solr double")
    scores = _main_query(params, schema).run(snap)
    for fq in params.get_all("fq"):
        if fq.strip():
            allowed = parse_query(fq, params, schema).run(snap)
            scores = {uid: s for uid, s in scores.items() if uid in allowed}
    ordered = sorted(scores, key=functools.cmp_to_key(
        _comparator(_sort_spec(params.get("sort"), schema), snap, scores,
                    schema)))
    start = params.get_int("start", 0)
    rows = params.get_int("rows", 10)
    if start < 0 or rows < 0:
        raise SolrError("'start' and 'rows' must not be negative")
    fields = _FieldList(params.get("fl", "*"), schema)
    response = {"numFound": len(scores), "start": start, "numFoundExact": True,
                "docs": [fields.render(snap.docs[uid], scores[uid])
                         for uid in ordered[start:start + rows]]}
    if fields.score:
        response["maxScore"] = max(scores.values(), default=0.0)
    result = {"response": response}
    facets = facet_counts(snap, schema, set(scores), params)
    if facets is not None:
        result["facet_counts"] = facets
    return result


def _main_query(params, schema):
    q = params.get("q")
    if q is None:
        return MatchAll()
    return parse_query(q, params, schema, params.get("defType", "lucene"))


# --- sort ----------------------------------------------------------------

def _sort_spec(text, schema):
    """[(field or 'score', descending)] from 'score desc, name asc'."""
    if not text or not text.strip():
        return [("score", True)]
    spec = []
    for part in text.split(","):
        words = part.split()
        if len(words) != 2 or words[1].lower() not in ("asc", "desc"):
            raise SolrError("Can't determine a Sort Order (asc or desc) in "
                            "sort spec '%s'" % part.strip())
        name, direction = words[0], words[1].lower()
        if name != "score":
            _check_sortable(name, schema)
        spec.append((name, direction == "desc"))
    return spec


def _check_sortable(name, schema):
    if "(" in name:
        raise SolrError("sorting by function is not supported by the Solr "
                        "double: %s" % name)
    field = schema.field(name)
    if field is None:
        raise SolrError("sort param field can't be found: %s" % name)
    if field.multi_valued:
        raise SolrError("can not sort on multivalued field: %s" % name)
    if field.kind.tokenized:
        raise SolrError("can not sort on a tokenized field: %s" % name)
    if not field.indexed:
        raise SolrError("can not sort on unindexed field: %s" % name)


def _comparator(spec, snap, scores, schema):
    fields = {name: None if name == "score" else schema.field(name)
              for name, _ in spec}

    def value_of(uid, name):
        if name == "score":
            return scores[uid]
        values = snap.field_values(name, uid)
        return values[0] if values else None

    def compare(a, b):
        for name, descending in spec:
            va, vb = value_of(a, name), value_of(b, name)
            result = _compare_values(va, vb, descending, fields[name])
            if result:
                return result
        return snap.order[a] - snap.order[b]  # Lucene: index order breaks ties
    return compare


def _compare_values(va, vb, descending, field):
    if va is None or vb is None:
        if va is None and vb is None:
            return 0
        missing = field.sort_missing if field is not None else ""
        if missing:
            # sortMissingLast / First hold whatever the direction.
            return (1 if va is None else -1) * (1 if missing == "last" else -1)
        substitute = field.kind.missing_sort_value
        if substitute is None:
            # Strings: a missing value sorts as the lowest one.
            result = -1 if va is None else 1
            return -result if descending else result
        va = substitute if va is None else va
        vb = substitute if vb is None else vb
    result = (va > vb) - (va < vb)
    return -result if descending else result


# --- fl --------------------------------------------------------------------

class _FieldList:
    def __init__(self, text, schema):
        self.schema = schema
        self.patterns = []
        self.score = False
        for item in re.split(r"[\s,]+", text.strip()):
            if not item:
                continue
            if "(" in item or "[" in item:
                raise SolrError("fl functions and transformers are not "
                                "supported by the Solr double: %s" % item)
            if item == "score":
                self.score = True
            else:
                self.patterns.append(item)
        if not self.patterns:
            self.patterns = ["*"] if not self.score else []

    def wants(self, name):
        return any(fnmatchcase(name, p) for p in self.patterns)

    def render(self, doc, score):
        out = {}
        for name, values in doc.stored.items():
            if self.wants(name):
                field = self.schema.field(name)
                rendered = [field.kind.output(v) for v in values]
                out[name] = rendered if field.multi_valued else rendered[0]
        if self.score:
            out["score"] = score
        return out
