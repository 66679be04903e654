"""The /update handler: XML and JSON update messages.

commitWithin (parameter or attribute) commits at once: the double has
no background commit timer.

pysolr 3.x posts added documents as a JSON array (XML only when
per-field boosts are given) and deletes / commits as XML; both formats
are understood here.
"""

import json
import xml.etree.ElementTree as ET

from .errors import SolrError
from .params import Params
from .parsers import parse_query


class _Pairs(list):
    """A JSON object kept as its (key, value) pairs: Solr's JSON update
    format repeats keys ("add" several times)."""


def parse_body(body, content_type):
    """Update message -> [(command, argument)]."""
    if not body.strip():
        return []
    if "json" in content_type or body.lstrip()[:1] in (b"[", b"{"):
        return _json_commands(body)
    return _xml_commands(body)


# --- JSON ------------------------------------------------------------------

def _plain(value):
    if isinstance(value, _Pairs):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _json_commands(body):
    try:
        message = json.loads(body, object_pairs_hook=_Pairs)
    except ValueError as exc:
        raise SolrError("Cannot parse provided JSON: %s" % exc)
    if not isinstance(message, _Pairs):
        return [("add", ([_plain(doc) for doc in message], True))]
    commands = []
    for key, value in message:
        value = _plain(value)
        if key == "add":
            commands.append(("add", ([value["doc"]], value.get("overwrite", True))))
            if "commitWithin" in value:
                commands.append(("commit", None))
        elif key == "delete":
            commands.extend(_json_delete(value))
        elif key in ("commit", "optimize"):
            commands.append(("commit", None))
        elif key == "rollback":
            commands.append(("rollback", None))
        else:
            raise SolrError("Unknown command '%s' at [%d]" % (key, 0))
    return commands


def _json_delete(value):
    if isinstance(value, dict):
        if "query" in value:
            return [("delete_query", value["query"])]
        return [("delete_ids", [value["id"]])]
    return [("delete_ids", value if isinstance(value, list) else [value])]


# --- XML -------------------------------------------------------------------

def _xml_commands(body):
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SolrError("Unable to parse update XML: %s" % exc)
    elements = list(root) if root.tag == "update" else [root]
    commands = []
    for element in elements:
        commands.extend(_xml_command(element))
    return commands


def _xml_command(element):
    tag = element.tag
    if tag == "add":
        overwrite = element.get("overwrite", "true") == "true"
        commands = [("add", ([_xml_doc(doc) for doc in element], overwrite))]
        if element.get("commitWithin"):
            commands.append(("commit", None))
        return commands
    if tag == "delete":
        commands = []
        for child in element:
            if child.tag == "id":
                commands.append(("delete_ids", [child.text or ""]))
            elif child.tag == "query":
                commands.append(("delete_query", child.text or ""))
        return commands
    if tag in ("commit", "optimize"):
        return [("commit", None)]
    if tag == "rollback":
        return [("rollback", None)]
    raise SolrError("Unexpected <%s> tag in update message" % tag)


def _xml_doc(element):
    doc = {}
    for child in element:
        if child.tag == "doc":
            raise SolrError("child documents are not supported by the Solr "
                            "double")
        if child.get("update"):
            raise SolrError("atomic updates are not supported by the Solr "
                            "double")
        if child.get("null") == "true":
            continue
        # Field boosts (boost="...") are ignored, as Solr >= 7 does.
        doc.setdefault(child.get("name"), []).append(child.text or "")
    return {k: v if len(v) > 1 else v[0] for k, v in doc.items()}


# --- execution -------------------------------------------------------------

def run_update(index, params, body, content_type):
    commands = parse_body(body, content_type)
    overwrite_param = params.get("overwrite")
    for command, argument in commands:
        if command == "add":
            docs, overwrite = argument
            if overwrite_param is not None:
                overwrite = params.get_bool("overwrite")
            index.add(docs, overwrite)
        elif command == "delete_ids":
            index.delete_ids(argument)
        elif command == "delete_query":
            query = parse_query(argument, Params(), index.schema)
            index.delete_matching(lambda snap: set(query.run(snap)))
        elif command == "commit":
            index.commit()
        elif command == "rollback":
            index.rollback()
    if (params.get_bool("commit") or params.get_bool("softCommit")
            or params.get_bool("optimize") or params.get("commitWithin")):
        index.commit()
    return {}
