"""HTTP front end: routes Solr's core URLs to the handlers.

Served under /solr/<core>/: select, update (+ /update/json[/docs]),
admin/ping, admin/file, schema (wt=schema.xml, JSON and a few
sub-resources); and /solr/admin/cores?action=STATUS.
"""

import json
import os
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from .errors import SolrError
from .params import Params
from .searcher import select
from .updates import run_update


class SolrDouble(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, core, index, verbose=False):
        super().__init__(address, Handler)
        self.core = core
        self.index = index
        self.verbose = verbose

    @property
    def base_url(self):
        host, port = self.server_address[:2]
        return "http://%s:%d/solr/%s" % (host, port, self.core)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SolrDouble/1.0"

    def do_GET(self):
        self._dispatch(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length))

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("solr-double: %s\n" % (fmt % args))

    # --- dispatch -------------------------------------------------------

    def _dispatch(self, body):
        started = time.monotonic()
        url = urlsplit(self.path)
        pairs = parse_qsl(url.query, keep_blank_values=True)
        content_type = self.headers.get("Content-Type", "")
        if body and "x-www-form-urlencoded" in content_type:
            pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            body = b""
        params = Params(pairs)
        try:
            route = self._route(url.path.rstrip("/"))
            status, payload = route(params, body, content_type)
        except SolrError as exc:
            status, payload = exc.code, _error_body(exc)
        except Exception as exc:  # a bug in the double: report it like Solr
            traceback.print_exc()
            status, payload = 500, _error_body(SolrError(repr(exc), 500))
        if isinstance(payload, dict):
            header = {"status": 0 if status == 200 else status,
                      "QTime": int((time.monotonic() - started) * 1000)}
            if status == 200 and "select" in url.path:
                header["params"] = params.echo()
            payload = {"responseHeader": header, **payload}
            self._send(status, json.dumps(payload).encode("utf-8"),
                       "application/json;charset=utf-8")
        else:
            data, mime = payload
            self._send(status, data, mime)

    def _route(self, path):
        core_prefix = "/solr/%s" % self.server.core
        if path == "/solr/admin/cores":
            return self._cores
        if path != core_prefix and not path.startswith(core_prefix + "/"):
            raise SolrError("Not Found: %s" % path, 404)
        handler = path[len(core_prefix):].strip("/")
        routes = {
            "select": self._select, "query": self._select,
            "update": self._update, "update/json": self._update,
            "update/json/docs": self._update_docs,
            "admin/ping": self._ping, "admin/file": self._file,
        }
        if handler in routes:
            return routes[handler]
        if handler == "schema" or handler.startswith("schema/"):
            return lambda params, body, ctype: self._schema(handler, params)
        raise SolrError("Not Found: /%s" % handler, 404)

    def _send(self, status, data, mime):
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # --- handlers -------------------------------------------------------

    def _select(self, params, body, content_type):
        _require_json(params)
        return 200, select(self.server.index, params)

    def _update(self, params, body, content_type):
        _require_json(params)
        return 200, run_update(self.server.index, params, body, content_type)

    def _update_docs(self, params, body, content_type):
        docs = json.loads(body or b"[]")
        wrapped = json.dumps(docs if isinstance(docs, list) else [docs])
        return self._update(params, wrapped.encode("utf-8"), "application/json")

    def _ping(self, params, body, content_type):
        return 200, {"status": "OK"}

    def _file(self, params, body, content_type):
        schema = self.server.index.schema
        name = params.get("file", "")
        directory = os.path.dirname(schema.path)
        path = os.path.normpath(os.path.join(directory, name))
        if name == "schema.xml" or path == schema.path:
            return 200, (schema.raw_xml, "application/xml;charset=utf-8")
        if os.path.dirname(path) != directory or not os.path.isfile(path):
            raise SolrError("Can not find: %s" % name, 404)
        with open(path, "rb") as handle:
            return 200, (handle.read(), "text/plain;charset=utf-8")

    def _schema(self, handler, params):
        schema = self.server.index.schema
        if params.get("wt") == "schema.xml":
            return 200, (schema.raw_xml, "application/xml;charset=utf-8")
        described = schema.describe()
        parts = handler.split("/")[1:]
        if not parts:
            return 200, {"schema": described}
        resources = {
            "fields": "fields", "dynamicfields": "dynamicFields",
            "copyfields": "copyFields", "fieldtypes": "fieldTypes",
            "name": "name", "version": "version", "uniquekey": "uniqueKey",
        }
        key = resources.get(parts[0].lower())
        if key is None:
            raise SolrError("Not Found: /%s" % handler, 404)
        if len(parts) == 2 and key == "fields":
            field = schema.fields.get(parts[1])
            if field is None:
                raise SolrError("No such path /schema/fields/%s" % parts[1], 404)
            return 200, {"field": field.describe()}
        return 200, {key: described[key]}

    def _cores(self, params, body, content_type):
        return 200, {"status": {self.server.core: {"name": self.server.core}}}


def _require_json(params):
    wt = params.get("wt", "json")
    if wt != "json":
        raise SolrError("wt=%s is not supported by the Solr double (json only)"
                        % wt)


def _error_body(exc):
    return {"error": {
        "metadata": ["error-class", "org.apache.solr.common.SolrException",
                     "root-error-class", "org.apache.solr.common.SolrException"],
        "msg": exc.msg, "code": exc.code}}
