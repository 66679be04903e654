"""Request parameters (repeatable, like Solr's SolrParams)."""

from .errors import SolrError

TRUE_VALUES = ("true", "on", "yes", "1")


class Params:
    def __init__(self, pairs=(), parent=None):
        self.pairs = list(pairs)
        self.parent = parent  # consulted for names this level lacks

    def get_all(self, name):
        values = [v for k, v in self.pairs if k == name]
        if not values and self.parent is not None:
            return self.parent.get_all(name)
        return values

    def get(self, name, default=None):
        values = self.get_all(name)
        return values[0] if values else default

    def get_bool(self, name, default=False):
        value = self.get(name)
        return default if value is None else value.strip().lower() in TRUE_VALUES

    def get_int(self, name, default):
        return parse_int(self.get(name), name, default)

    def field_param(self, field, name, default=None):
        """Per-field override `f.<field>.<name>`, else `<name>`."""
        return self.get("f.%s.%s" % (field, name), self.get(name, default))

    def echo(self):
        """The parameters as Solr echoes them in the response header."""
        echoed = {}
        for key, value in self.pairs:
            if key in echoed:
                previous = echoed[key]
                echoed[key] = (previous if isinstance(previous, list)
                               else [previous]) + [value]
            else:
                echoed[key] = value
        return echoed


def parse_int(value, name, default):
    """An integer parameter as Solr reads it: empty means the default."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SolrError("Invalid integer value for %s: %s" % (name, value))
