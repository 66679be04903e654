"""Errors the double reports, shaped after Solr's own."""


class SolrError(Exception):
    """A request error that becomes Solr's JSON error body.

    `code` is the HTTP status Solr would answer with (400 for bad
    requests and unparseable queries, 404 for unknown handlers).
    """

    def __init__(self, msg, code=400):
        super().__init__(msg)
        self.msg = msg
        self.code = code


class SchemaError(Exception):
    """The schema uses something the double cannot emulate.

    Raised at startup so that an unsupported schema fails loudly instead
    of being silently analysed differently from real Solr.
    """
