"""A Solr test double: an in-process HTTP server speaking the part of
Solr's HTTP API that CKAN 2.11 and pysolr use. A test fixture only; see
README.md."""
