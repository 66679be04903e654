"""In-memory documents, Solr-style commit visibility, JSON persistence.

Documents are analysed when they are added. Searches see only the last
committed state (a `Snapshot`), as in Solr: an add or delete becomes
visible on commit / softCommit / commitWithin (commitWithin is treated
as an immediate commit here).
"""

import json
import os
import tempfile
import threading
from dataclasses import dataclass, field

from .analysis import positions
from .errors import SolrError


@dataclass
class FieldData:
    postings: dict = field(default_factory=dict)  # term -> [positions]
    length: int = 0                               # tokens, for BM25 norms
    values: list = field(default_factory=list)    # typed values


@dataclass
class IndexedDoc:
    uid: str
    source: dict   # the input fields, kept for persistence / re-analysis
    stored: dict   # field -> [stored values], in input order
    fields: dict   # field -> FieldData


class DocumentBuilder:
    """Turns an input document into an IndexedDoc following the schema."""

    def __init__(self, schema):
        self.schema = schema

    def build(self, source, version):
        key = self.schema.unique_key
        uid = _single(source.get(key)) if key else None
        label = uid if uid is not None else "unknown"
        if key and uid in (None, ""):
            raise SolrError("Document is missing mandatory uniqueKey field: %s"
                            % key)
        values = {}
        for name, raw in source.items():
            self._add_values(values, name, _as_list(raw), label)
        for name, raw in source.items():
            for dest, max_chars in self.schema.copy_targets(name):
                copied = [_truncate(v, max_chars) for v in _as_list(raw)]
                self._add_values(values, dest, copied, label, copy=True)
        self._apply_defaults(values, label)
        if "_version_" in self.schema.fields:
            # Solr assigns each update a new _version_.
            values["_version_"] = [(self.schema.field("_version_").kind.convert(version),
                                    False)]
        self._check(values, label)
        return IndexedDoc(uid=str(uid) if uid is not None else None,
                          source=source,
                          stored=self._stored(values),
                          fields=self._indexed(values))

    def _add_values(self, values, name, raw_values, label, copy=False):
        schema_field = self.schema.field(name)
        if schema_field is None:
            raise SolrError("ERROR: [doc=%s] unknown field '%s'" % (label, name))
        for raw in raw_values:
            if isinstance(raw, dict):
                raise SolrError("ERROR: [doc=%s] field '%s': atomic updates and "
                                "child documents are not supported by the "
                                "Solr double" % (label, name))
            try:
                converted = schema_field.kind.convert(raw)
            except SolrError as exc:
                raise SolrError("ERROR: [doc=%s] Error adding field '%s'='%s' "
                                "msg=%s" % (label, name, raw, exc.msg))
            values.setdefault(name, []).append((converted, copy))

    def _apply_defaults(self, values, label):
        for name, schema_field in self.schema.fields.items():
            if name not in values and schema_field.default is not None:
                self._add_values(values, name, [schema_field.default], label)

    def _check(self, values, label):
        for name, schema_field in self.schema.fields.items():
            if schema_field.required and name not in values:
                raise SolrError("[doc=%s] missing required field: %s"
                                % (label, name))
        for name, entries in values.items():
            if len(entries) > 1 and not self.schema.field(name).multi_valued:
                shown = ", ".join(str(v) for v, _ in entries)
                what = "copy field" if any(c for _, c in entries) else "field"
                raise SolrError("ERROR: [doc=%s] multiple values encountered "
                                "for non multiValued %s %s: [%s]"
                                % (label, what, name, shown))

    def _stored(self, values):
        return {name: [v for v, _ in entries] for name, entries in values.items()
                if self.schema.field(name).stored}

    def _indexed(self, values):
        indexed = {}
        for name, entries in values.items():
            schema_field = self.schema.field(name)
            if schema_field.indexed and schema_field.type.class_name != "BinaryField":
                indexed[name] = _index_field(schema_field, [v for v, _ in entries])
        return indexed


def _index_field(schema_field, values):
    data = FieldData(values=list(values))
    kind = schema_field.kind
    if not kind.tokenized:
        for pos, value in enumerate(values):
            data.postings.setdefault(kind.term(value), []).append(pos)
        data.length = len(values)
        return data
    base = 0
    for value in values:
        last = base - 1
        for pos, tok in positions(kind.index_analyzer.analyze(value), base):
            data.postings.setdefault(tok.text, []).append(pos)
            if tok.inc > 0:
                data.length += 1
            last = pos
        # Values of a multi-valued field are kept apart by the gap, so
        # phrases never match across two values.
        base = last + 1 + schema_field.position_gap
    return data


def _as_list(raw):
    if isinstance(raw, (list, tuple)):
        return [v for v in raw if v is not None]
    return [] if raw is None else [raw]


def _single(raw):
    values = _as_list(raw)
    return values[0] if values else None


def _truncate(value, max_chars):
    if max_chars and isinstance(value, str):
        return value[:max_chars]
    return value


class Snapshot:
    """An immutable, searchable view of the committed documents."""

    def __init__(self, docs):
        self.docs = dict(docs)           # uid -> IndexedDoc, in index order
        self.order = {uid: i for i, uid in enumerate(self.docs)}
        self.postings = {}               # field -> term -> {uid: positions}
        self.lengths = {}                # field -> {uid: length}
        for uid, doc in self.docs.items():
            for name, data in doc.fields.items():
                field_postings = self.postings.setdefault(name, {})
                for term, term_positions in data.postings.items():
                    field_postings.setdefault(term, {})[uid] = term_positions
                self.lengths.setdefault(name, {})[uid] = data.length
        self._sorted_terms = {}

    def terms(self, name):
        """All indexed terms of a field, sorted (for prefix/range/facets)."""
        if name not in self._sorted_terms:
            self._sorted_terms[name] = sorted(self.postings.get(name, {}))
        return self._sorted_terms[name]

    def field_values(self, name, uid):
        data = self.docs[uid].fields.get(name)
        return data.values if data else []

    def avg_length(self, name):
        lengths = self.lengths.get(name, {})
        return (sum(lengths.values()) / len(lengths)) if lengths else 0.0


class Index:
    def __init__(self, schema, data_path=None):
        self.schema = schema
        self.builder = DocumentBuilder(schema)
        self.data_path = data_path
        self.lock = threading.RLock()
        self.pending = {}               # uid -> IndexedDoc, including uncommitted
        self.snapshot = Snapshot({})
        self.version = 0
        if data_path and os.path.exists(data_path):
            self._load()

    def add(self, sources, overwrite=True):
        with self.lock:
            built = []
            for source in sources:
                self.version += 1
                built.append(self.builder.build(source, self.version))
            for doc in built:
                if overwrite:
                    # A re-added document goes to the end, as a new Lucene doc.
                    self.pending.pop(doc.uid, None)
                self.pending[doc.uid] = doc

    def delete_ids(self, uids):
        with self.lock:
            for uid in uids:
                self.pending.pop(str(uid), None)

    def delete_matching(self, matcher):
        """Delete documents (committed or not) for which `matcher` selects.

        `matcher(snapshot)` returns the set of matching uids; Solr runs
        delete-by-query against uncommitted adds too, hence the snapshot
        of the pending state.
        """
        with self.lock:
            for uid in matcher(Snapshot(self.pending)):
                self.pending.pop(uid, None)

    def commit(self):
        with self.lock:
            self.snapshot = Snapshot(self.pending)
            if self.data_path:
                self._persist()

    def rollback(self):
        with self.lock:
            self.pending = dict(self.snapshot.docs)

    def _persist(self):
        payload = {"docs": [doc.source for doc in self.pending.values()]}
        directory = os.path.dirname(os.path.abspath(self.data_path))
        handle, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(payload, out)
        os.replace(tmp, self.data_path)

    def _load(self):
        with open(self.data_path, encoding="utf-8") as handle:
            payload = json.load(handle)
        self.add(payload.get("docs", []))
        self.snapshot = Snapshot(self.pending)

