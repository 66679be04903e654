"""Syntax of Lucene's classic query parser (as used by Solr's `lucene`,
`dismax` and `edismax` parsers). The parser only reads syntax; building
queries from fields and terms is the job of a `QueryBuilder`.
"""

import re

from .errors import SolrError
from .query import MUST, MUST_NOT, SHOULD

_SPACE = " \t\n\r\u3000"
# Characters that end a bare term (besides whitespace); see the classic
# grammar's _TERM_CHAR. '-' and '+' may appear inside a term.
_TERM_STOP = set('()[]{}":^~!') | set(_SPACE)
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")


class QuerySyntaxError(SolrError):
    def __init__(self, query, detail):
        super().__init__("org.apache.solr.search.SyntaxError: Cannot parse "
                         "'%s': %s" % (query, detail))


# --- lexer ---------------------------------------------------------------

def _read_escaped(text, i, stop):
    """Read raw text up to a stop char; keeps backslash escapes as written."""
    start = i
    while i < len(text) and text[i] not in stop:
        i += 2 if text[i] == "\\" else 1
    return text[start:min(i, len(text))], min(i, len(text))


def unescape(raw):
    return re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL)


def _read_quoted(query, i):
    """Text of a quoted string starting after the opening quote."""
    out = []
    while i < len(query):
        ch = query[i]
        if ch == "\\" and i + 1 < len(query):
            out.append(query[i + 1])
            i += 2
        elif ch == '"':
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise QuerySyntaxError(query, "Lexical error: unterminated quoted string")


def _read_range(query, i):
    """Parse '[lo TO hi]' / '{lo TO hi}' starting at the bracket."""
    include_lower = query[i] == "["
    i += 1
    parts = []
    while True:
        while i < len(query) and query[i] in _SPACE:
            i += 1
        if i >= len(query):
            raise QuerySyntaxError(query, "Encountered \"<EOF>\" in range")
        if query[i] in "]}":
            if len(parts) != 3 or parts[1] != ("TO", False):
                raise QuerySyntaxError(query, "malformed range")
            include_upper = query[i] == "]"
            return ("RANGE", (parts[0], parts[2], include_lower, include_upper)), i + 1
        if query[i] == '"':
            text, i = _read_quoted(query, i + 1)
            parts.append((text, True))
        else:
            raw, i = _read_escaped(query, i, set(_SPACE) | set("]}"))
            parts.append((unescape(raw), False) if raw != "TO" else ("TO", False))


def tokenize(query):
    tokens = []
    i = 0
    while i < len(query):
        ch = query[i]
        two = query[i:i + 2]
        if ch in _SPACE:
            i += 1
        elif two in ("&&", "||"):
            tokens.append(("AND" if two == "&&" else "OR", None))
            i += 2
        elif ch in "+-!():":
            kind = {"+": "PLUS", "-": "MINUS", "!": "NOT", "(": "LPAREN",
                    ")": "RPAREN", ":": "COLON"}[ch]
            tokens.append((kind, None))
            i += 1
        elif ch in "^~":
            number = _NUMBER.match(query, i + 1)
            if ch == "^" and not number:
                raise QuerySyntaxError(query, "boost without a number")
            tokens.append(("CARAT" if ch == "^" else "TILDE",
                           float(number.group()) if number else None))
            i = number.end() if number else i + 1
        elif ch == '"':
            text, i = _read_quoted(query, i + 1)
            tokens.append(("QUOTED", text))
        elif ch in "[{":
            token, i = _read_range(query, i)
            tokens.append(token)
        elif ch in "]}":
            raise QuerySyntaxError(query, "Encountered \"%s\"" % ch)
        elif ch == "/":
            raise SolrError("regular expression queries are not supported by "
                            "the Solr double: %r" % query)
        else:
            raw, i = _read_escaped(query, i, _TERM_STOP)
            if raw in ("AND", "OR", "NOT"):
                tokens.append((raw, None))
            else:
                tokens.append(("TERM", raw))
    tokens.append(("EOF", None))
    return tokens


# --- parser --------------------------------------------------------------

class Parser:
    """Recursive descent over the classic grammar:

        Query  := Modifiers Clause (Conjunction Modifiers Clause)*
        Clause := [field ':'] (Term | '(' Query ')' ['^' boost])
    """

    def __init__(self, query, builder, default_operator="OR"):
        self.query = query
        self.builder = builder
        self.and_default = default_operator.upper() == "AND"
        self.tokens = tokenize(query)
        self.pos = 0

    def parse(self):
        result = self._query(None)
        if self._peek() != "EOF":
            self._fail()
        return result

    def _peek(self, offset=0):
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)][0]

    def _next(self):
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def _fail(self):
        kind, value = self.tokens[self.pos]
        shown = "<EOF>" if kind == "EOF" else (value if value is not None else kind)
        raise QuerySyntaxError(self.query, "Encountered \"%s\" at token %d"
                           % (shown, self.pos))

    def _query(self, field):
        clauses = []
        while self._peek() not in ("EOF", "RPAREN"):
            conj = None
            if clauses and self._peek() in ("AND", "OR"):
                conj = self._next()[0]
            mods = None
            if self._peek() in ("PLUS", "MINUS", "NOT"):
                mods = self._next()[0]
            self._add_clause(clauses, conj, mods, self._clause(field))
        if not clauses:
            self._fail()
        return self.builder.boolean(clauses)

    def _add_clause(self, clauses, conj, mods, query):
        """Lucene's QueryParserBase.addClause: how AND/OR/+/-/NOT combine."""
        if clauses and conj == "AND" and clauses[-1][0] != MUST_NOT:
            clauses[-1] = (MUST, clauses[-1][1])
        if clauses and self.and_default and conj == "OR" and clauses[-1][0] != MUST_NOT:
            clauses[-1] = (SHOULD, clauses[-1][1])
        prohibited = mods in ("MINUS", "NOT")
        if self.and_default:
            required = not prohibited and conj != "OR"
        else:
            required = mods == "PLUS" or (conj == "AND" and not prohibited)
        occur = MUST_NOT if prohibited else MUST if required else SHOULD
        clauses.append((occur, query))

    def _clause(self, field):
        if self._peek() == "TERM" and self._peek(1) == "COLON":
            field = unescape(self._next()[1])
            self._next()
        if self._peek() == "LPAREN":
            self._next()
            query = self._query(field)
            if self._peek() != "RPAREN":
                self._fail()
            self._next()
            return self.builder.boosted(query, self._boost())
        return self._term(field)

    def _boost(self):
        return self._next()[1] if self._peek() == "CARAT" else None

    def _modifiers(self):
        """Optional '~n' and '^n' after a term, in either order."""
        fuzzy, boost, seen_tilde = None, None, False
        while self._peek() in ("TILDE", "CARAT"):
            kind, value = self._next()
            if kind == "TILDE":
                fuzzy, seen_tilde = value, True
            else:
                boost = value
        return seen_tilde, fuzzy, boost

    def _term(self, field):
        kind, value = self._next()
        if kind == "TERM":
            tilde, fuzzy, boost = self._modifiers()
            return self.builder.term(field, value, fuzzy if tilde else None,
                                     tilde, boost)
        if kind == "QUOTED":
            tilde, slop, boost = self._modifiers()
            return self.builder.phrase(field, value, int(slop or 0), boost)
        if kind == "RANGE":
            lower, upper, include_lower, include_upper = value
            return self.builder.range(field, lower, upper, include_lower,
                                      include_upper, self._boost())
        self.pos -= 1
        self._fail()
