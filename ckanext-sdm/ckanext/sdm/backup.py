"""`ckan sdm backup` / `ckan sdm restore`: the whole catalogue, verified.

A backup is one PostgreSQL snapshot: the manifest's counts and per-dataset
hashes are read inside the transaction whose snapshot `pg_dump --snapshot`
dumps, so they describe exactly what was dumped even while editors keep
working.  Beside the dump go the filestore, the signing public key (the
private key only on request, encrypted), the config, and the manifest,
signed with the site's Ed25519 key.  restic stores it encrypted, off-site,
with retention (sdm_harvester.backup).

A restore refuses a backup whose signature or any part's SHA-256 fails,
refuses a non-empty database unless forced, then restores, migrates,
rebuilds the search index and checks everything against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Callable, Mapping

import ckan.plugins.toolkit as tk
import psycopg2
from cryptography.hazmat.primitives import serialization

from ckanext.sdm import catalogue_version, certificates, signing
from sdm_harvester import backup as core

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
    from psycopg2.extensions import cursor as Cursor

DUMP = "database.dump"
PUBLIC_KEY = "keys/public.pem"
PRIVATE_KEY = "keys/private.pem"

# Each dataset as stored: its row, extras, resources, tags and memberships.
_DATASET_ROWS = """
SELECT p.id, json_build_array(
  row_to_json(p),
  (SELECT json_agg(json_build_array(e.key, e.value, e.state) ORDER BY e.key, e.id)
     FROM package_extra e WHERE e.package_id = p.id),
  (SELECT json_agg(row_to_json(r) ORDER BY r.position, r.id) FROM resource r WHERE r.package_id = p.id),
  (SELECT json_agg(json_build_array(t.name, pt.state) ORDER BY t.name, pt.state)
     FROM package_tag pt JOIN tag t ON t.id = pt.tag_id WHERE pt.package_id = p.id),
  (SELECT json_agg(json_build_array(m.group_id, m.capacity, m.state) ORDER BY m.group_id, m.capacity, m.state)
     FROM member m WHERE m.table_id = p.id AND m.table_name = 'package')
)::text FROM package p ORDER BY p.id
"""

_COUNTS = {
    "organizations": "SELECT count(*) FROM \"group\" WHERE is_organization AND state = 'active'",
    "certificates": "SELECT count(*) FROM sdm_submission",
    "access_requests": "SELECT count(*) FROM sdm_access_request",
    "audit_rows": "SELECT count(*) FROM sdm_audit",
    "audit_last_id": "SELECT coalesce(max(id), 0) FROM sdm_audit",
    "blacklist": "SELECT count(*) FROM sdm_blacklist",
    "demands": "SELECT count(*) FROM sdm_demand",
    "quality_reports": "SELECT count(*) FROM sdm_quality_report",
    "authorisations": "SELECT count(*) FROM sdm_authorisation",
}
_GROUPED = {
    "datasets": "SELECT state || CASE WHEN private THEN '/private' ELSE '/public' END, count(*) "
    "FROM package WHERE type = 'dataset' GROUP BY 1",
    "disclosure": "SELECT e.value, count(*) FROM package_extra e JOIN package p ON p.id = e.package_id "
    "WHERE e.key = 'open_attribute' AND e.state = 'active' AND p.state = 'active' GROUP BY 1",
}
_GRANTS = "SELECT id, package_id, status, expires::text FROM sdm_access_request ORDER BY id"
_CERTIFICATES = "SELECT number, certificate::text FROM sdm_submission ORDER BY number"


def _dsn() -> str:
    return tk.config["sqlalchemy.url"]


def _site_id() -> str:
    return tk.config.get("ckan.site_id") or "default"


def describe(cursor: Cursor, site_ids: list[str]) -> dict:
    """Counts and hashes of the catalogue as `cursor`'s transaction sees it.
    Site users (named after a site id, made on demand by CKAN) are not
    counted: a restored site makes its own."""
    facts: dict = {}
    cursor.execute("SELECT count(*) FROM \"user\" WHERE state = 'active' AND name <> ALL(%s)", (site_ids,))
    facts["users"] = cursor.fetchone()[0]
    for key, sql in _COUNTS.items():
        cursor.execute(sql)
        facts[key] = cursor.fetchone()[0]
    for key, sql in _GROUPED.items():
        cursor.execute(sql)
        facts[key] = {name: n for name, n in cursor.fetchall()}
    cursor.execute(_GRANTS)
    facts["grants"] = [list(row) for row in cursor.fetchall()]
    cursor.execute(_DATASET_ROWS)
    facts["dataset_hashes"] = {pid: hashlib.sha256(text.encode()).hexdigest() for pid, text in cursor.fetchall()}
    return facts


def _pg_tool(name: str) -> str:
    configured = tk.config.get("ckanext.sdm.backup.pg_bin")
    if configured:
        return os.path.join(configured, name)
    return shutil.which(name) or name


def _run(args: list, what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise core.BackupError(f"{what} failed: {done.stderr.strip()}")


def _dump_consistent(stage: str) -> dict:
    """pg_dump of exactly the snapshot the manifest's facts are read from."""
    connection = psycopg2.connect(_dsn())
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    # restic compresses, and deduplicates only what is unchanged:
                    # a compressed dump differs throughout after one edit
                    "--compress=0",
                    f"--snapshot={snapshot}",
                    "--no-owner",
                    f"--file={os.path.join(stage, DUMP)}",
                    _dsn(),
                ],
                "pg_dump",
            )
            return describe(cursor, [_site_id()])
    finally:
        connection.rollback()
        connection.close()


def _stage_keys(stage: str, key: Ed25519PrivateKey, private_passphrase: bytes | None) -> None:
    os.makedirs(os.path.join(stage, "keys"))
    with open(os.path.join(stage, PUBLIC_KEY), "w") as f:
        f.write(signing.public_pem(key.public_key()))
    if private_passphrase:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(private_passphrase),
        )
        with open(os.path.join(stage, PRIVATE_KEY), "wb") as f:
            f.write(pem)


def _stage_config(stage: str) -> None:
    path = tk.config.get("__file__")
    if path and os.path.isfile(path):
        os.makedirs(os.path.join(stage, "config"))
        shutil.copy2(path, os.path.join(stage, "config", os.path.basename(path)))


def site_key() -> Ed25519PrivateKey:
    setting = tk.config.get("ckanext.sdm.submission.signing_key")
    if not setting:
        raise core.BackupError("ckanext.sdm.submission.signing_key is not set: the manifest cannot be signed")
    return signing.load_private_key(setting)


def make_backup(restic: core.Restic, keep: Mapping, private_passphrase: bytes | None = None) -> tuple[str, dict]:
    """Back the site up; answer the snapshot id and the manifest."""
    key = site_key()
    stage = tempfile.mkdtemp(prefix="sdm-backup-")
    try:
        facts = _dump_consistent(stage)
        _stage_keys(stage, key, private_passphrase)
        _stage_config(stage)
        storage = tk.config.get("ckan.storage_path")
        folders = {"filestore": os.path.abspath(storage)} if storage and os.path.isdir(storage) else {}
        parts = core.describe_parts(stage, folders)
        hashes = facts.pop("dataset_hashes")
        document = core.manifest(
            "ckan",
            parts,
            facts,
            folders,
            dataset_hashes=hashes,
            site_url=tk.config.get("ckan.site_url"),
            site_id=_site_id(),
            key_id=signing.key_id(key.public_key()),
        )
        body = core.write_manifest(stage, document)
        with open(os.path.join(stage, core.SIGNATURE), "w") as f:
            f.write(signing.sign(key, body))
        restic.ensure()
        snapshot = restic.backup(stage, folders.values())
        restic.forget(keep)
        return snapshot, document
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# ---- restore ---------------------------------------------------------------


def check_backup(folder: str, public_key: Ed25519PublicKey) -> dict:
    """The manifest of a restored snapshot, once its signature and every
    part check; otherwise BackupError naming what failed."""
    document, body = core.read_manifest(folder)
    sig_path = os.path.join(folder, core.SIGNATURE)
    if not os.path.isfile(sig_path):
        raise core.BackupError(f"{core.SIGNATURE}: missing: the manifest is unsigned")
    with open(sig_path) as f:
        if not signing.verify(public_key, body, f.read().strip()):
            raise core.BackupError(f"{core.MANIFEST}: the signature does not verify with the site's public key")
    core.check_parts(document, core.locator(folder, document))
    return document


def _database_empty(cursor: Cursor) -> bool:
    cursor.execute("SELECT to_regclass('public.package') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return True
    cursor.execute("SELECT count(*) FROM package")
    packages = cursor.fetchone()[0]
    cursor.execute('SELECT count(*) FROM "user" WHERE name <> %s', (_site_id(),))
    return packages == 0 and cursor.fetchone()[0] == 0


def _ckan(*args: str) -> None:
    """A `ckan` command on this site's config, in a fresh process (the
    restored database is not the one this process opened)."""
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    _run([ckan, "-c", tk.config["__file__"], *args], "ckan " + " ".join(args))


def _restore_database(folder: str, force: bool) -> None:
    connection = psycopg2.connect(_dsn())
    try:
        with connection.cursor() as cursor:
            if not _database_empty(cursor) and not force:
                raise core.BackupError("the target database is not empty; pass --force to replace it")
    finally:
        connection.close()
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            f"--dbname={_dsn()}",
            os.path.join(folder, DUMP),
        ],
        "pg_restore",
    )


def _restore_filestore(folder: str, document: Mapping) -> None:
    source = document.get("folders", {}).get("filestore")
    storage = tk.config.get("ckan.storage_path")
    if not source or not storage:
        return
    shutil.copytree(core.locator(folder, document)("filestore/."), storage, dirs_exist_ok=True)


def compare(expected: Mapping, actual: Mapping, hashes: Mapping) -> list[str]:
    """What differs between the manifest and the restored catalogue."""
    problems = [
        f"{key}: backup {expected[key]!r}, restored {actual.get(key)!r}"
        for key in expected
        if expected[key] != actual.get(key)
    ]
    restored = actual.get("dataset_hashes", {})
    problems += [f"dataset {pid}: missing after restore" for pid in hashes if pid not in restored]
    problems += [
        f"dataset {pid}: differs from the backup" for pid in hashes if pid in restored and restored[pid] != hashes[pid]
    ]
    return problems


def _certificates_genuine(cursor: Cursor, public_key: Ed25519PublicKey) -> list[str]:
    cursor.execute(_CERTIFICATES)
    return [
        f"certificate {number}: no longer verifies"
        for number, text in cursor.fetchall()
        if not certificates.genuine(json.loads(text), public_key)
    ]


def _indexed_datasets() -> int:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    found = tk.get_action("package_search")(
        {"ignore_auth": True, "user": site_user["name"]},
        {"q": "*:*", "rows": 0, "include_private": True, "include_drafts": True},
    )
    return found["count"]


def verify_restored(document: Mapping, public_key: Ed25519PublicKey) -> list[str]:
    connection = psycopg2.connect(_dsn())
    try:
        with connection.cursor() as cursor:
            actual = describe(cursor, [_site_id(), document.get("site_id") or "default"])
            problems = compare(document["counts"], actual, document.get("dataset_hashes", {}))
            problems += _certificates_genuine(cursor, public_key)
    finally:
        connection.close()
    searchable = sum(n for state, n in document["counts"]["datasets"].items() if not state.startswith("deleted/"))
    indexed = _indexed_datasets()
    if indexed != searchable:
        problems.append(f"search index: {indexed} datasets indexed, {searchable} active or draft in the backup")
    return problems


def _index_part(package_ids: list[str]) -> None:
    """One worker's share of the index: CKAN's own indexing, commits left
    to the end (a forked child: it opens connections of its own)."""
    from ckan.lib import search

    try:
        search.rebuild(package_ids=package_ids, defer_commit=True, quiet=True)
    except Exception as error:  # the parent names the failure; the child just reports it
        print(f"indexing failed: {type(error).__name__}: {error}", file=sys.stderr)
        os._exit(1)
    os._exit(0)


def reindex(workers: int) -> int:
    """Index every active and draft dataset with CKAN's own indexer, split
    over `workers` forked processes, committed once at the end.  Indexing
    is CPU-bound (package_show, validation, our language fields, one Solr
    add per dataset: benchmarks/README.md), so one process, as `ckan
    search-index rebuild` runs, leaves the other cores idle; CKAN's
    rebuild-fast would split it too but skips drafts.  Answers how many
    datasets were given to the workers."""
    import multiprocessing

    from ckan import model
    from ckan.lib import search

    ids = [row[0] for row in model.Session.query(model.Package.id).filter(model.Package.state != "deleted")]
    # what this site id indexed before the restore is not the restored catalogue
    search.clear_all()
    # connections opened before the fork (and before pg_restore) are not shared
    model.Session.remove()
    model.meta.engine.dispose()
    fork = multiprocessing.get_context("fork")
    children = [fork.Process(target=_index_part, args=(ids[n::workers],)) for n in range(workers) if ids[n::workers]]
    for child in children:
        child.start()
    for child in children:
        child.join()
    failed = [n for n, child in enumerate(children) if child.exitcode != 0]
    if failed:
        raise core.BackupError(f"search index: {len(failed)} of {len(children)} indexing workers failed (see above)")
    search.commit()
    return len(ids)


def restore(
    folder: str,
    public_key: Ed25519PublicKey,
    force: bool = False,
    progress: Callable[[str], object] = print,
    workers: int = 2,
) -> list[str]:
    """Restore an unpacked backup folder into this site; answer the problems
    the final verification found (empty: everything came back).  Each step
    says how long it took (benchmarks/backup)."""
    clock = time.perf_counter()

    def step(what: str) -> None:
        nonlocal clock
        progress(f"{what} ({time.perf_counter() - clock:.1f} s)")
        clock = time.perf_counter()

    document = check_backup(folder, public_key)
    step(
        f"backup of {document.get('site_url')} made {document['created']}: signature and "
        f"{len(document['parts'])} parts verified"
    )
    _restore_database(folder, force)
    _restore_filestore(folder, document)
    step("database and filestore restored")
    _ckan("db", "upgrade")  # CKAN's migrations, then every plugin's pending ones
    step("migrated")
    indexed = reindex(workers)
    # pg_restore wrote past CKAN's session: the cached DCAT pages are old
    catalogue_version.bump()
    step(f"search index rebuilt: {indexed} datasets, {workers} workers")
    problems = verify_restored(document, public_key)
    step("verified against the manifest")
    return problems


def load_public_key(path: str | None) -> PublicKeyTypes:
    if path:
        with open(path, "rb") as f:
            return serialization.load_pem_public_key(f.read())
    return site_key().public_key()
