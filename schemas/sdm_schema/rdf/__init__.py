"""SDM dataset dicts ↔ RDF, written once.

`mapping` turns a dataset dict into plain triples of `terms` (IRI, Literal)
for one `Profile`: `national` (DCAT 3 + the SDM vocabulary, for
government platforms), `dcat_ap3` (DCAT-AP 3.0.1, for international
portals) and `schemaorg` (schema.org, for search engines).  The same triples
feed ckanext-dcat's profiles (as rdflib terms) and the streaming publisher
(`writers`, straight to N-Triples, Turtle, RDF/XML and JSON-LD text).
`parse` reads DCAT back into dataset dicts.  Each profile asks
sdm_schema.disclosure what its audience may see before emitting anything.
"""
