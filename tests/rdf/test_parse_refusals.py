"""parse refuses what it cannot or must not read, with a ParseError that
says why (the harvester reports it as the source's error)."""

import pytest

from sdm_schema.rdf import parse

RDF_NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:d="http://example.org/"'
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    f'<rdf:RDF {RDF_NS}><rdf:Description rdf:about="http://example.org/x"><d:p>&b;</d:p>'
    "</rdf:Description></rdf:RDF>"
)


def test_rdfxml_declaring_entities_is_refused_before_parsing():
    # pyoxigraph itself would expand them, nested
    with pytest.raises(parse.ParseError, match="declares entities"):
        parse.read_page(LAUGHS, "application/rdf+xml")


def test_malformed_document_names_the_format():
    with pytest.raises(parse.ParseError, match="cannot parse text/turtle"):
        parse.read_page(b"this is not turtle <<<", "text/turtle")


def test_jsonld_remote_context_is_not_fetched():
    body = b'{"@context": "https://example.org/context.jsonld", "@id": "https://example.org/d", "title": "x"}'
    with pytest.raises(
        parse.ParseError, match="remote context https://example.org/context.jsonld is not one of those shipped"
    ):
        parse.read_page(body, "jsonld")


def test_named_graphs_are_refused():
    body = (
        b'{"@id": "https://example.org/g", "@graph": [{"@id": "https://example.org/d", "https://example.org/p": "x"}]}'
    )
    with pytest.raises(parse.ParseError, match="(?i)named graphs"):
        parse.read_page(body, "jsonld")
