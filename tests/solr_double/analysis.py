"""Analyzer chains built from a schema's <analyzer> elements.

A chain is one tokenizer followed by token filters, as in Lucene. Tokens
carry a position increment (`inc`) rather than an absolute position, so
filters that drop or split tokens keep Lucene's position semantics: a
dropped token passes its increment on, a token stacked on the previous
one (a synonym, a catenation) has increment 0.
"""

import os
from dataclasses import dataclass

from .errors import SchemaError


@dataclass
class Token:
    text: str
    inc: int = 1
    start: int = 0
    end: int = 0
    type: str = "word"

    def derive(self, text, inc=None, type=None):
        """A copy with new text (and optionally increment / type).
        Hand-written because dataclasses.replace dominates indexing time."""
        return Token(text, self.inc if inc is None else inc, self.start,
                     self.end, self.type if type is None else type)


def positions(tokens, base=0):
    """Yield (absolute position, token); the first token sits at `base`."""
    pos = base - 1
    for tok in tokens:
        pos += tok.inc
        yield max(pos, base), tok


class ResourceLoader:
    """Reads word lists (stopwords, synonyms ...) next to the schema file."""

    def __init__(self, schema_dir):
        self.schema_dir = schema_dir

    def lines(self, name):
        """Non-comment lines of each comma-separated file, or None if absent.

        Solr refuses to load a core whose resource file is missing; the
        double tolerates it (the caller decides the fallback) because
        CKAN ships schema.xml without its companion files.
        """
        result = []
        found = False
        for part in name.split(","):
            path = os.path.join(self.schema_dir, part.strip())
            if not os.path.isfile(path):
                continue
            found = True
            with open(path, encoding="utf-8") as handle:
                for line in handle:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        result.append(line)
        return result if found else None


class Analyzer:
    def __init__(self, tokenizer, filters):
        self.tokenizer = tokenizer
        self.filters = filters

    def analyze(self, text):
        tokens = self.tokenizer(text)
        for token_filter in self.filters:
            tokens = token_filter(tokens)
        return [tok for tok in tokens if tok.text]


# Registries filled by tokenizers.py / filters.py / cjk.py /
# word_delimiter.py: short factory name -> callable(attrs, loader) that
# returns a tokenizer (str -> tokens) or a filter (tokens -> tokens).
TOKENIZERS = {}
FILTERS = {}

# Filters Solr keeps when it derives the "multiterm" analyzer used for
# prefix, wildcard, range and fuzzy terms on text fields: only the ones
# that normalise characters, never ones that stem or split.
MULTITERM_AWARE = {
    "LowerCaseFilterFactory", "ASCIIFoldingFilterFactory",
    "ICUFoldingFilterFactory", "CJKWidthFilterFactory", "TrimFilterFactory",
}


def register(registry, *names):
    def decorator(factory):
        for name in names:
            registry[name] = factory
        return factory
    return decorator


def short_name(class_name):
    """'solr.LowerCaseFilterFactory' or a full Lucene class -> 'LowerCaseFilterFactory'."""
    return class_name.rsplit(".", 1)[-1]


def build_analyzer(element, loader, multiterm=False):
    """Build an Analyzer from an <analyzer> element; unknown parts fail loudly."""
    if element.get("class"):
        raise SchemaError("analyzer class %r is not emulated by the Solr "
                          "double" % element.get("class"))
    tokenizer = None
    filters = []
    for child in element:
        tag = child.tag.lower()
        name = short_name(child.get("class", child.get("name", "")))
        attrs = dict(child.attrib)
        if tag == "charfilter":
            raise SchemaError("charFilter %r is not emulated by the Solr "
                              "double" % name)
        if tag == "tokenizer":
            tokenizer = _factory(TOKENIZERS, name, "tokenizer")(attrs, loader)
        elif tag == "filter":
            factory = _factory(FILTERS, name, "filter")
            if not multiterm or name in MULTITERM_AWARE:
                filters.append(factory(attrs, loader))
    if tokenizer is None:
        raise SchemaError("analyzer without a tokenizer")
    if multiterm:
        tokenizer = TOKENIZERS["KeywordTokenizerFactory"]({}, loader)
    return Analyzer(tokenizer, filters)


def _factory(registry, name, kind):
    if name not in registry:
        raise SchemaError("%s %r is not emulated by the Solr double; add it "
                          "to tests/solr_double before using this schema"
                          % (kind, name))
    return registry[name]


def bool_attr(attrs, name, default):
    value = attrs.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def int_attr(attrs, name, default):
    value = attrs.get(name)
    return default if value is None else int(value)
