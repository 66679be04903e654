"""Submission certificates without CKAN: digests, signatures, keys."""

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ckanext.sdm import certificates as submission
from ckanext.sdm import signing

KEY = Ed25519PrivateKey.generate()
RAW = KEY.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def _certificate(**changes):
    return submission.sign(
        dict(
            {
                "number": "HJ-20261121-ABC",
                "project_number": "2024YFA0001",
                "metadata_digest": "sha256:00",
                "resources": [{"id": "r", "checksum": ""}],
            },
            **changes,
        ),
        KEY,
    )


def test_signed_certificate_is_genuine_and_any_change_is_not():
    certificate = _certificate()
    assert certificate["key_id"] == signing.key_id(KEY.public_key())
    assert submission.genuine(certificate, KEY.public_key())
    assert not submission.genuine(dict(certificate, project_number="2024YFA0002"), KEY.public_key())
    assert not submission.genuine(dict(certificate, resources=[{"id": "r", "checksum": "x"}]), KEY.public_key())
    assert not submission.genuine({k: v for k, v in certificate.items() if k != "signature"}, KEY.public_key())
    assert not submission.genuine(dict(certificate, signature="not base64!"), KEY.public_key())
    other = Ed25519PrivateKey.generate()
    assert not submission.genuine(certificate, other.public_key())


def test_metadata_digest_covers_schema_fields_only():
    dataset = {"title_translated": {"zh-Hans": "数据"}, "version": "V1", "metadata_modified": "2026-01-01"}
    digest = submission.metadata_digest(dataset)
    # CKAN's bookkeeping and empty optional fields are not metadata changes
    assert submission.metadata_digest(dict(dataset, metadata_modified="2026-02-02", doi="")) == digest
    assert submission.metadata_digest(dict(dataset, version="V2")) != digest


def test_resources_digest_binds_ids_urls_and_checksums(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n")
    checksum = submission.file_checksum(str(path))
    assert checksum == "sha256:" + __import__("hashlib").sha256(b"a,b\n1,2\n").hexdigest()
    entries = [{"id": "r1", "url": "https://x/a.csv", "checksum": checksum}]
    digest = submission.resources_digest(entries)
    assert submission.resources_digest([dict(entries[0], checksum="sha256:ff")]) != digest
    assert submission.resources_digest([dict(entries[0], url="https://x/b.csv")]) != digest
    assert submission.changes({"metadata_digest": "m", "resources_digest": digest}, "m", digest) == {
        "metadata_changed": False,
        "resources_changed": False,
    }


def test_keys_load_from_base64_or_pem_file(tmp_path):
    assert signing.key_id(signing.load_private_key(base64.b64encode(RAW).decode()).public_key()) == signing.key_id(
        KEY.public_key()
    )
    path = str(tmp_path / "key.pem")
    created = signing.create_key_file(path)
    assert signing.key_id(signing.create_key_file(path).public_key()) == signing.key_id(created.public_key())
    assert (tmp_path / "key.pem").stat().st_mode & 0o077 == 0
    with pytest.raises(signing.SigningKeyError):
        signing.load_private_key(base64.b64encode(b"short").decode())
    with pytest.raises(signing.SigningKeyError):
        signing.load_private_key("/no/such/key.pem")
