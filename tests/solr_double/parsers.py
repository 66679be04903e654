"""Query parser selection: lucene, dismax, edismax, a few local-param
parsers ({!term}, {!field}, {!prefix}, {!raw}, {!terms}) and mm."""

import re

from .errors import SolrError
from .field_queries import QueryBuilder
from .lucene_parser import Parser
from .params import Params
from .query import SHOULD, BooleanQuery, MatchNone, PrefixQuery, TermQuery

# Solr's /select has no default field of its own; the double uses `text`,
# CKAN's catch-all field, unless the request says `df`.
DEFAULT_FIELD = "text"

_LOCAL_PAIR = re.compile(
    r"""\s*([\w.$]+)\s*=\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s}]+)""")
_LOCAL_WORD = re.compile(r"\s*([\w.]+)")


def split_local_params(text, params):
    """'{!type k=v}rest' -> (Params of k/v, 'rest'); plain text -> (None, text)."""
    stripped = text.lstrip()
    if not stripped.startswith("{!"):
        return None, text
    pairs, i = [], 2
    while True:
        while i < len(stripped) and stripped[i].isspace():
            i += 1
        if i >= len(stripped):
            raise SolrError("org.apache.solr.search.SyntaxError: Missing end "
                            "to unquoted value starting at %d str='%s'" % (i, text))
        if stripped[i] == "}":
            break
        pair = _LOCAL_PAIR.match(stripped, i)
        word = _LOCAL_WORD.match(stripped, i)
        if pair:
            value = pair.group(2)
            if value[:1] in "'\"":
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            elif value.startswith("$"):
                value = params.get(value[1:], "")  # parameter dereference
            pairs.append((pair.group(1), value))
            i = pair.end()
        elif word:
            if not any(k == "type" for k, _ in pairs):
                pairs.append(("type", word.group(1)))
            i = word.end()
        else:
            raise SolrError("org.apache.solr.search.SyntaxError: bad local "
                            "params in '%s'" % text)
    return Params(pairs, parent=params), stripped[i + 1:]


def parse_query(text, params, schema, default_type="lucene"):
    """Build a Query for a q/fq string under the request's parameters."""
    local, text = split_local_params(text, params)
    query_type = default_type
    if local is not None:
        # Local params ({!type k=v}) override the request's parameters.
        params = local
        local_values = dict(local.pairs)
        text = local_values.get("v", text)
        query_type = local_values.get("type", default_type)
    parser = _PARSERS.get(query_type)
    if parser is None:
        raise SolrError("Unknown query parser '%s'" % query_type)
    return parser(text, params, schema)


def _lucene(text, params, schema):
    if not text.strip():
        return MatchNone()
    operator = params.get("q.op", "OR")
    builder = QueryBuilder(schema, [(params.get("df") or DEFAULT_FIELD, 1.0)],
                           default_operator=operator)
    return Parser(text, builder, operator).parse() or MatchNone()


def parse_qf(qf):
    """'title^4 text' -> [('title', 4.0), ('text', 1.0)]."""
    fields = []
    for item in re.split(r"[\s,]+", qf.strip()):
        if item:
            name, _, boost = item.partition("^")
            fields.append((name, float(boost) if boost else 1.0))
    return fields


def _dismax_common(text, params, schema, edismax):
    if not text.strip():
        alt = params.get("q.alt")
        return _lucene(alt, params, schema) if alt else MatchNone()
    qf = parse_qf(params.get("qf", "")) or [(params.get("df") or DEFAULT_FIELD, 1.0)]
    tie = float(params.get("tie", 0.0))
    # (e)dismax parse with OR and let mm decide how many clauses must match.
    builder = QueryBuilder(schema, qf, tie, "OR")
    if edismax:
        try:
            query = Parser(text, builder, "OR").parse()
        except SolrError:
            # edismax never reports a syntax error: it escapes and retries.
            query = Parser(_escape_all(text), builder, "OR").parse()
    else:
        query = Parser(_dismax_clean(text), builder, "OR").parse()
    if query is None:
        return MatchNone()
    # Without mm, dismax requires every clause; edismax follows q.op.
    operator = params.get("q.op", "OR" if edismax else "AND")
    _apply_mm(query, params.get("mm", "100%" if operator.upper() == "AND" else "0%"))
    return query


def _apply_mm(query, spec):
    if isinstance(query, BooleanQuery):
        optional = sum(1 for occur, _ in query.clauses if occur == SHOULD)
        query.min_should = min_should_match(optional, spec)


def min_should_match(optional, spec):
    """Solr's SolrPluginUtils.calculateMinShouldMatch."""
    spec = spec.strip()
    try:
        if "<" in spec:
            spec = re.sub(r"\s*<\s*", "<", spec)
            result = optional
            for part in spec.split():
                upper, _, sub = part.partition("<")
                if optional <= int(upper):
                    return result
                result = min_should_match(optional, sub)
            return result
        if spec.endswith("%"):
            calc = optional * int(spec[:-1]) / 100.0
            result = optional + int(calc) if calc < 0 else int(calc)
        else:
            calc = int(spec)
            result = optional + calc if calc < 0 else calc
    except ValueError:
        raise SolrError("Invalid 'mm' value: %s" % spec)
    return min(max(result, 0), optional)


_DISMAX_ESCAPE = re.compile(r'([\\!():^\[\]{}~*?/])')
_CONSECUTIVE_OPS = re.compile(r"\s+[+-](?:\s*[+-]+)+")
_DANGLING_OPS = re.compile(r"\s+[-+\s]+$")


def _dismax_clean(text):
    """What Solr's dismax does to user input before parsing."""
    if text.count('"') % 2:
        text = text.replace('"', "")
    text = _DISMAX_ESCAPE.sub(r"\\\1", text)
    text = _CONSECUTIVE_OPS.sub(" ", text)
    return _DANGLING_OPS.sub("", text)


def _escape_all(text):
    return re.sub(r'([\\+\-!():^\[\]"{}~*?|&/])', r"\\\1", text)


def _edismax(text, params, schema):
    return _dismax_common(text, params, schema, edismax=True)


def _dismax(text, params, schema):
    return _dismax_common(text, params, schema, edismax=False)


def _target_field(params, schema):
    name = params.get("f")
    field = schema.field(name) if name else None
    if field is None:
        raise SolrError("undefined field %s" % name)
    return field


def _term(text, params, schema):
    field = _target_field(params, schema)
    return TermQuery(field, field.kind.query_term(text))


def _raw(text, params, schema):
    return TermQuery(_target_field(params, schema), text)


def _terms(text, params, schema):
    field = _target_field(params, schema)
    separator = params.get("separator", ",")
    return BooleanQuery([(SHOULD, TermQuery(field, field.kind.query_term(t)))
                         for t in text.split(separator) if t])


def _field(text, params, schema):
    name = _target_field(params, schema).name
    builder = QueryBuilder(schema, [(name, 1.0)])
    return builder.phrase(name, text, 0, None) or MatchNone()


def _prefix(text, params, schema):
    return PrefixQuery(_target_field(params, schema), text)


_PARSERS = {
    "lucene": _lucene, "standard": _lucene, "edismax": _edismax,
    "dismax": _dismax, "term": _term, "raw": _raw, "terms": _terms,
    "field": _field, "prefix": _prefix,
}
