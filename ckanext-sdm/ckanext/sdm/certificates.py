"""Submission certificates (汇交凭证, R7): what is certified, and how.

A certificate is a flat JSON object: who submitted what for which project,
when, to which centre, and two digests that pin the data as submitted —
  metadata_digest   SHA-256 of the dataset's schema fields (sdm_dataset.yaml),
                    in canonical JSON; CKAN's bookkeeping (modified times,
                    revision ids, counts) is left out, so only a change of
                    the metadata itself changes it;
  resources_digest  SHA-256 of the files' list: each file's id, URL and
                    checksum, in the dataset's order.
It is signed with Ed25519 over its canonical JSON without the `signature`
key (ckanext.sdm.signing).  Imports nothing from CKAN.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Iterable, Mapping

from ckanext.sdm import signing
from sdm_schema.loader import dataset_fields

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

#: The certificate's keys in the order a printed certificate shows them.
FIELDS = (
    "number",
    "issued",
    "receiving_centre",
    "project_number",
    "programme",
    "lead_unit",
    "submitter",
    "dataset_id",
    "dataset_name",
    "version",
    "metadata_digest",
    "resources_digest",
    "resources",
    "key_id",
)
SIGNATURE = "signature"
_CHUNK = 1 << 20


def canonical(value: object) -> bytes:
    """The one byte form digests and signatures are taken over."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def metadata_digest(dataset: Mapping) -> str:
    # Empty values are left out so that saving a form that adds an empty
    # optional field does not count as a change.
    fields = {f.name: dataset[f.name] for f in dataset_fields() if dataset.get(f.name) not in (None, "", [], {})}
    return _sha256(canonical(fields))


def file_checksum(path: str) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def resources_digest(entries: Iterable[Mapping]) -> str:
    """`entries`: {id, url, checksum} per file, in the dataset's order."""
    return _sha256(canonical([{k: e.get(k) or "" for k in ("id", "url", "checksum")} for e in entries]))


def sign(certificate: Mapping, key: Ed25519PrivateKey) -> dict:
    """The certificate with its key id and signature added."""
    body = {k: v for k, v in certificate.items() if k != SIGNATURE}
    body["key_id"] = signing.key_id(key.public_key())
    return dict(body, **{SIGNATURE: signing.sign(key, canonical(body))})


def genuine(certificate: Mapping, public_key: Ed25519PublicKey) -> bool:
    """Whether the certificate is exactly as the key's holder signed it."""
    if not isinstance(certificate.get(SIGNATURE), str):
        return False
    body = {k: v for k, v in certificate.items() if k != SIGNATURE}
    return signing.verify(public_key, canonical(body), certificate[SIGNATURE])


def changes(certificate: Mapping, metadata_now: str, resources_now: str) -> dict:
    """What changed in the data since the certificate was issued."""
    return {
        "metadata_changed": certificate.get("metadata_digest") != metadata_now,
        "resources_changed": certificate.get("resources_digest") != resources_now,
    }
