"""facet.field / facet.query counting and Solr's json.nl list styles."""

from .errors import SolrError
from .params import parse_int
from .parsers import parse_query, split_local_params

# Faceting features the double does not emulate; asking for them is an
# error rather than a silently missing section.
_UNSUPPORTED = ("facet.range", "facet.pivot", "facet.interval",
                "facet.heatmap", "json.facet")


def named_list(pairs, style):
    """Render [(name, value)] the way Solr's JSON writer does for json.nl."""
    if style == "map":
        return dict(pairs)
    if style == "arrarr":
        return [[k, v] for k, v in pairs]
    if style == "arrmap":
        return [{k: v} for k, v in pairs]
    flat = []
    for key, value in pairs:
        flat.extend((key, value))
    return flat


def facet_counts(snap, schema, uids, params):
    """The facet_counts section for the matching `uids`, or None."""
    if not params.get_bool("facet"):
        return None
    for name in _UNSUPPORTED:
        if params.get(name) is not None:
            raise SolrError("%s is not supported by the Solr double" % name)
    style = params.get("json.nl", "flat")
    queries = []
    for text in params.get_all("facet.query"):
        local, _ = split_local_params(text, params)
        key = dict(local.pairs).get("key", text) if local else text
        matched = parse_query(text, params, schema).run(snap)
        queries.append((key, len(uids.intersection(matched))))
    fields = {}
    for spec in params.get_all("facet.field"):
        local, name = split_local_params(spec, params)
        key = dict(local.pairs).get("key", name) if local else name
        fields[key] = named_list(_field_counts(snap, schema, uids, name.strip(),
                                               params), style)
    return {"facet_queries": dict(queries), "facet_fields": fields,
            "facet_ranges": {}, "facet_intervals": {}, "facet_heatmaps": {}}


def _field_counts(snap, schema, uids, name, params):
    if schema.field(name) is None:
        raise SolrError("undefined field %s" % name)
    limit = _int_param(params, name, "facet.limit", 100)
    mincount = _int_param(params, name, "facet.mincount", 0)
    offset = _int_param(params, name, "facet.offset", 0)
    prefix = params.field_param(name, "facet.prefix", "")
    order = params.field_param(name, "facet.sort",
                               "count" if limit > 0 else "index")
    counts = _term_counts(snap, uids, name)
    if mincount <= 0:
        # Solr lists every term of the field, with zero counts too.
        for term in snap.terms(name):
            counts.setdefault(term, 0)
    items = [(t, c) for t, c in counts.items()
             if c >= mincount and t.startswith(prefix)]
    if order in ("count", "true"):
        items.sort(key=lambda tc: (-tc[1], tc[0]))
    else:
        items.sort()
    items = items[offset:]
    if limit >= 0:
        items = items[:limit]
    if params.get_bool("f.%s.facet.missing" % name, params.get_bool("facet.missing")):
        missing = sum(1 for uid in uids if name not in snap.docs[uid].fields)
        items.append((None, missing))
    return items


def _int_param(params, field, name, default):
    return parse_int(params.field_param(field, name), name, default)


def _term_counts(snap, uids, name):
    counts = {}
    for uid in uids:
        data = snap.docs[uid].fields.get(name)
        if data is None:
            continue
        for term in data.postings:  # each term counts once per document
            counts[term] = counts.get(term, 0) + 1
    return counts
