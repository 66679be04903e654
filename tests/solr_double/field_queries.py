"""Builds query nodes for fields, the schema-aware half of query parsing.

The lucene parser sends unfielded terms to the default field (`df`);
dismax/edismax alias the default field to the `qf` fields and combine
them in a DisjunctionMaxQuery, as Solr's (e)dismax parsers do.
"""

from .analysis import positions
from .errors import SolrError
from .lucene_parser import unescape
from .query import (MUST, MUST_NOT, SHOULD, BooleanQuery, DisMaxQuery,
                    ExistsQuery, FuzzyQuery, MatchAll, PhraseQuery,
                    PrefixQuery, TermQuery, TermRangeQuery, ValueRangeQuery,
                    WildcardQuery)


class QueryBuilder:
    def __init__(self, schema, default_fields, tie=0.0, default_operator="OR"):
        """default_fields: [(field name, boost)] standing for unfielded terms."""
        self.schema = schema
        self.default_fields = default_fields
        self.tie = tie
        self.and_default = default_operator.upper() == "AND"

    # --- entry points used by the parser ---------------------------------

    def term(self, field, raw, fuzzy, is_fuzzy, boost):
        return self._per_field(field, boost,
                               lambda f: self._term(f, raw, fuzzy, is_fuzzy))

    def phrase(self, field, text, slop, boost):
        return self._per_field(field, boost,
                               lambda f: self._analyzed(f, text, True, slop))

    def range(self, field, lower, upper, include_lower, include_upper, boost):
        return self._per_field(field, boost, lambda f: self._range(
            f, lower, upper, include_lower, include_upper))

    def boolean(self, clauses):
        kept = [(occur, q) for occur, q in clauses if q is not None]
        if not kept:
            return None
        if len(kept) == 1 and kept[0][0] != MUST_NOT:
            return kept[0][1]
        if all(occur == MUST_NOT for occur, _ in kept):
            # Solr makes a purely negative query match "everything but".
            kept.insert(0, (MUST, MatchAll()))
        return BooleanQuery(kept)

    def boosted(self, query, boost):
        if query is not None and boost is not None:
            query.boost *= boost
        return query

    # --- field resolution -----------------------------------------------

    def _per_field(self, field, boost, build):
        if field is None:
            disjuncts = []
            for name, field_boost in self.default_fields:
                query = build(self._field(name))
                if query is not None:
                    query.boost *= field_boost
                    disjuncts.append(query)
            if not disjuncts:
                return None
            query = disjuncts[0] if len(self.default_fields) == 1 else \
                DisMaxQuery(disjuncts, self.tie)
        elif field == "*":
            query = build(None)
        else:
            query = build(self._field(field))
        return self.boosted(query, boost)

    def _field(self, name):
        field = self.schema.field(name)
        if field is None:
            raise SolrError("undefined field %s" % name)
        if not field.indexed:
            raise SolrError("can not search on field %s: it is not indexed"
                            % name)
        return field

    # --- term kinds -----------------------------------------------------

    def _term(self, field, raw, fuzzy, is_fuzzy):
        if raw == "*":
            return MatchAll() if field is None else ExistsQuery(field)
        if field is None:
            raise SolrError("undefined field *")
        if any(wild for wild, _ in _wildcard_segments(raw)):
            return self._wildcard(field, raw)
        text = unescape(raw)
        if is_fuzzy:
            self._require_text(field, "fuzzy")
            edits = int(fuzzy) if fuzzy is not None and fuzzy >= 1 else 2
            return FuzzyQuery(field, self._normalize(field, text), min(edits, 2))
        return self._analyzed(field, text, False, 0)

    def _wildcard(self, field, raw):
        self._require_text(field, "wildcard")
        segments = [(wild, text if wild else self._normalize(field, text))
                    for wild, text in _wildcard_segments(raw)]
        wilds = [text for wild, text in segments if wild]
        if wilds == ["*"] and segments[-1] == (True, "*"):
            return PrefixQuery(field, "".join(t for w, t in segments[:-1]))
        return WildcardQuery(field, segments)

    def _require_text(self, field, what):
        if field.kind.numeric:
            raise SolrError("Can't run %s queries on numeric field %s"
                            % (what, field.name))

    def _normalize(self, field, text):
        return field.kind.normalize(text) if field.kind.tokenized else text

    def _analyzed(self, field, text, quoted, slop):
        if field is None:
            raise SolrError("undefined field *")
        if not field.kind.tokenized:
            return TermQuery(field, field.kind.query_term(text))
        groups = _position_groups(field.kind.query_analyzer.analyze(text))
        if not groups:
            return None  # e.g. only stop words: the clause disappears
        if len(groups) == 1:
            return _any_term(field, groups[0][1])
        if quoted or field.kind.auto_phrase:
            return PhraseQuery(field, groups, slop)
        occur = MUST if self.and_default else SHOULD
        return BooleanQuery([(occur, _any_term(field, terms))
                             for _, terms in groups])

    def _range(self, field, lower, upper, include_lower, include_upper):
        (low, low_quoted), (high, high_quoted) = lower, upper
        low = None if low == "*" and not low_quoted else low
        high = None if high == "*" and not high_quoted else high
        if field is None:
            raise SolrError("undefined field *")
        if low is None and high is None:
            return ExistsQuery(field)
        kind = field.kind
        if not kind.numeric:  # strings, text, booleans: compare terms
            bound = lambda v: None if v is None else self._normalize(field, v)
            return TermRangeQuery(field, bound(low), bound(high),
                                  include_lower, include_upper)
        bound = lambda v: None if v is None else kind.parse_query_value(v)
        return ValueRangeQuery(field, bound(low), bound(high),
                               include_lower, include_upper)


def _wildcard_segments(raw):
    """Split a raw wildcard term into [(is_wildcard, text)], honouring escapes."""
    segments, literal, i = [], [], 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw):
            literal.append(raw[i + 1])
            i += 2
            continue
        if ch in "*?":
            if literal:
                segments.append((False, "".join(literal)))
                literal = []
            segments.append((True, ch))
        else:
            literal.append(ch)
        i += 1
    if literal:
        segments.append((False, "".join(literal)))
    return segments


def _position_groups(tokens):
    """[(relative position, [terms at that position])] of analysed tokens."""
    groups = {}
    for pos, tok in positions(tokens):
        terms = groups.setdefault(pos, [])
        if tok.text not in terms:
            terms.append(tok.text)
    if not groups:
        return []
    first = min(groups)
    return [(pos - first, terms) for pos, terms in sorted(groups.items())]


def _any_term(field, terms):
    if len(terms) == 1:
        return TermQuery(field, terms[0])
    return BooleanQuery([(SHOULD, TermQuery(field, t)) for t in terms])
