"""Start the Solr test double in the foreground.

    python tests/solr_double/run.py --host 127.0.0.1 --port 8983 \
        --core ckan --schema path/to/schema.xml [--data index.json]

A test fixture, not a search server: see README.md in this directory.
"""

import argparse
import os
import signal
import sys

# Invoked by path, Python puts this directory first on sys.path, where its
# modules could shadow the stdlib; import the package from its parent.
sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from solr_double.errors import SchemaError  # noqa: E402
from solr_double.index import Index  # noqa: E402
from solr_double.schema import Schema  # noqa: E402
from solr_double.server import SolrDouble  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8983,
                        help="0 picks a free port (printed on startup)")
    parser.add_argument("--core", default="ckan")
    parser.add_argument("--schema", required=True, help="Solr schema.xml")
    parser.add_argument("--data", help="JSON file: loaded at start, "
                                       "rewritten on every commit")
    parser.add_argument("--verbose", action="store_true",
                        help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        schema = Schema(args.schema)
    except SchemaError as exc:
        sys.exit("solr-double: cannot emulate %s: %s" % (args.schema, exc))
    server = SolrDouble((args.host, args.port), args.core,
                        Index(schema, args.data), args.verbose)
    # SIGTERM from the harness ends serve_forever cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("solr-double (test fixture) serving %s" % server.base_url, flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
