"""Query tree and its evaluation against a Snapshot.

Every node's `run(snapshot)` returns {uid: score} for the documents it
matches. Scores are BM25-like (k1=1.2, b=0.75, per-field statistics,
no norm quantisation) so that `sort=score desc` behaves sensibly; they
are not Lucene's exact numbers.
"""

import bisect
import math
import re
from dataclasses import dataclass, field as dc_field

K1, B = 1.2, 0.75

MUST, SHOULD, MUST_NOT = "+", "", "-"


def _idf(doc_count, doc_freq):
    return math.log(1 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def _tf_norm(freq, length, avg_length, omit_norms):
    norm = 1.0 if omit_norms or not avg_length else length / avg_length
    return freq * (K1 + 1) / (freq + K1 * (1 - B + B * norm))


def _field_stats(snap, name):
    lengths = snap.lengths.get(name, {})
    return len(lengths), snap.avg_length(name), lengths


class Query:
    boost = 1.0

    def run(self, snap):
        raise NotImplementedError


@dataclass
class MatchAll(Query):
    boost: float = 1.0

    def run(self, snap):
        return dict.fromkeys(snap.docs, self.boost)


@dataclass
class MatchNone(Query):
    def run(self, snap):
        return {}


@dataclass
class TermQuery(Query):
    field: object  # schema Field
    term: str
    boost: float = 1.0

    def run(self, snap):
        postings = snap.postings.get(self.field.name, {}).get(self.term, {})
        if not postings:
            return {}
        doc_count, avg, lengths = _field_stats(snap, self.field.name)
        idf = _idf(doc_count, len(postings))
        return {uid: self.boost * idf * _tf_norm(len(pos), lengths[uid], avg,
                                                 self.field.omit_norms)
                for uid, pos in postings.items()}


@dataclass
class PhraseQuery(Query):
    """Terms at relative positions; each position may accept alternatives."""
    field: object
    slots: list  # [(relative position, [terms])]
    slop: int = 0
    boost: float = 1.0

    def run(self, snap):
        postings = snap.postings.get(self.field.name, {})
        per_slot = []
        for _, terms in self.slots:
            merged = {}
            for term in terms:
                for uid, pos in postings.get(term, {}).items():
                    merged.setdefault(uid, set()).update(pos)
            per_slot.append(merged)
        if not per_slot:
            return {}
        candidates = set.intersection(*(set(m) for m in per_slot))
        doc_count, avg, lengths = _field_stats(snap, self.field.name)
        idf = sum(_idf(doc_count, len(m)) for m in per_slot)
        result = {}
        for uid in candidates:
            freq = self._matches(uid, per_slot)
            if freq:
                result[uid] = self.boost * idf * _tf_norm(
                    freq, lengths[uid], avg, self.field.omit_norms)
        return result

    def _matches(self, uid, per_slot):
        """How many start positions satisfy the phrase (within slop)."""
        offsets = [rel for rel, _ in self.slots]
        count = 0
        for start in per_slot[0][uid]:
            anchor = start - offsets[0]
            if all(self._near(per_slot[i][uid], anchor + offsets[i])
                   for i in range(1, len(offsets))):
                count += 1
        return count

    def _near(self, candidate_positions, wanted):
        if self.slop == 0:
            return wanted in candidate_positions
        return any(abs(p - wanted) <= self.slop for p in candidate_positions)


class _TermSetQuery(Query):
    """Matches documents containing any term accepted by `accepts`; scored
    as a constant (Lucene's multi-term queries are constant-score)."""

    def candidate_terms(self, snap):
        return snap.terms(self.field.name)

    def accepts(self, term):
        raise NotImplementedError

    def run(self, snap):
        postings = snap.postings.get(self.field.name, {})
        result = {}
        for term in self.candidate_terms(snap):
            if self.accepts(term):
                for uid in postings[term]:
                    result[uid] = self.boost
        return result


@dataclass
class PrefixQuery(_TermSetQuery):
    field: object
    prefix: str
    boost: float = 1.0

    def candidate_terms(self, snap):
        terms = snap.terms(self.field.name)
        start = bisect.bisect_left(terms, self.prefix)
        end = start
        while end < len(terms) and terms[end].startswith(self.prefix):
            end += 1
        return terms[start:end]

    def accepts(self, term):
        return True


@dataclass
class WildcardQuery(_TermSetQuery):
    field: object
    segments: list  # [(is_wildcard, text)]; wildcard text is * or ?
    boost: float = 1.0

    def __post_init__(self):
        regex = "".join((".*" if text == "*" else ".") if wild else re.escape(text)
                        for wild, text in self.segments)
        self._regex = re.compile(regex, re.DOTALL)

    def accepts(self, term):
        return self._regex.fullmatch(term) is not None


@dataclass
class FuzzyQuery(_TermSetQuery):
    field: object
    term: str
    max_edits: int = 2
    boost: float = 1.0

    def accepts(self, term):
        return _edit_distance(self.term, term, self.max_edits) <= self.max_edits


def _edit_distance(a, b, limit):
    """Damerau-Levenshtein distance (with transpositions), as Lucene uses."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if (prev2 is not None and i > 1 and j > 1 and a[i - 1] == b[j - 2]
                    and a[i - 2] == b[j - 1]):
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@dataclass
class TermRangeQuery(_TermSetQuery):
    """Range over indexed terms (string and text fields), lexicographic."""
    field: object
    lower: object  # None = open
    upper: object
    include_lower: bool = True
    include_upper: bool = True
    boost: float = 1.0

    def accepts(self, term):
        return _in_range(term, self.lower, self.upper,
                         self.include_lower, self.include_upper)


@dataclass
class ValueRangeQuery(Query):
    """Range over typed values (numbers, dates, booleans)."""
    field: object
    lower: object
    upper: object
    include_lower: bool = True
    include_upper: bool = True
    boost: float = 1.0

    def run(self, snap):
        result = {}
        for uid in snap.lengths.get(self.field.name, {}):
            if any(_in_range(v, self.lower, self.upper, self.include_lower,
                             self.include_upper)
                   for v in snap.field_values(self.field.name, uid)):
                result[uid] = self.boost
        return result


def _in_range(value, lower, upper, include_lower, include_upper):
    if lower is not None and (value < lower or (value == lower and not include_lower)):
        return False
    if upper is not None and (value > upper or (value == upper and not include_upper)):
        return False
    return True


@dataclass
class ExistsQuery(Query):
    """`field:*` / `field:[* TO *]`: documents with any indexed term."""
    field: object
    boost: float = 1.0

    def run(self, snap):
        result = {}
        for uid_positions in snap.postings.get(self.field.name, {}).values():
            for uid in uid_positions:
                result[uid] = self.boost
        return result


@dataclass
class BooleanQuery(Query):
    clauses: list = dc_field(default_factory=list)  # [(occur, Query)]
    min_should: int = 0
    boost: float = 1.0

    def run(self, snap):
        musts = [q.run(snap) for occur, q in self.clauses if occur == MUST]
        shoulds = [q.run(snap) for occur, q in self.clauses if occur == SHOULD]
        nots = [q.run(snap) for occur, q in self.clauses if occur == MUST_NOT]
        if musts:
            candidates = set.intersection(*(set(m) for m in musts))
        elif shoulds:
            candidates = set().union(*(set(s) for s in shoulds))
        else:
            candidates = set()
        for excluded in nots:
            candidates -= set(excluded)
        # With no required clause at least one optional clause must match.
        needed = self.min_should if (musts or self.min_should) else 1
        result = {}
        for uid in candidates:
            matched = [s[uid] for s in shoulds if uid in s]
            if len(matched) < needed:
                continue
            score = sum(m[uid] for m in musts) + sum(matched)
            result[uid] = self.boost * score
        return result


@dataclass
class DisMaxQuery(Query):
    disjuncts: list = dc_field(default_factory=list)
    tie: float = 0.0
    boost: float = 1.0

    def run(self, snap):
        scores = {}
        for query in self.disjuncts:
            for uid, score in query.run(snap).items():
                scores.setdefault(uid, []).append(score)
        return {uid: self.boost * (max(s) + self.tie * (sum(s) - max(s)))
                for uid, s in scores.items()}
