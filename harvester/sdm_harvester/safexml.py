"""Parsing XML from outside without letting it reach further.

The parser never resolves entities, never loads a DTD and never touches the
network, and refuses documents that declare entities at all: no harvested
format (OAI-PMH, DataCite, RDF/XML) needs them, and a declaration is the mark
of a billion-laughs or external-entity attack.
"""

from __future__ import annotations

from lxml import etree

MAX_BYTES = 50 * 1024 * 1024


class UnsafeXML(ValueError):
    """A document was refused or could not be parsed; the message says why."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse(data: bytes, where: str, max_bytes: int = MAX_BYTES) -> etree._Element:
    """The root element of `data`; `where` (source and URL) goes into errors."""
    if len(data) > max_bytes:
        raise UnsafeXML(f"{where}: document of {len(data)} bytes exceeds the limit of {max_bytes}")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise UnsafeXML(f"{where}: malformed XML: {error}") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None:
        entities = [entity.name for entity in dtd.iterentities()]
        if entities:
            raise UnsafeXML(
                f"{where}: refused: the document declares entities ({', '.join(entities[:5])}), "
                "as in entity-expansion or external-entity attacks"
            )
    return root
