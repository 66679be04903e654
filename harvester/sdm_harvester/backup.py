"""Verified off-site backups (R10, Art. 29 of the Measures), CKAN-free.

Archiving, encryption, deduplication, retention and off-site transport are
restic's (an established tool, audited and widely run; docs/backup.md says
why): this module only decides *what* goes into a snapshot and *how a
restore proves it got everything back*.  Each snapshot carries a manifest
listing every part with its SHA-256 and size, and the counts the restore
compares; `ckan sdm backup` adds the site's signature, `sdm-harvest backup`
uses the same pieces for a harvester-only centre.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "sdm-backup/1"
TAG = "sdm"


class BackupError(RuntimeError):
    """A backup or restore that must not go on; the message names the part."""


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical(value: object) -> bytes:
    """The one serialisation that manifests are hashed and signed in."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _files_below(root: str) -> Iterable[str]:
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield os.path.join(folder, name)


def describe_parts(root: str, folders: Mapping[str, str]) -> list[dict]:
    """Every file of the staging folder `root`, and of each extra folder
    (part prefix → absolute path, e.g. the filestore), as manifest parts."""
    parts = []
    for prefix, base in [("", root), *folders.items()]:
        if not os.path.isdir(base):
            continue
        for path in _files_below(base):
            rel = os.path.relpath(path, base)
            if prefix == "" and rel in (MANIFEST, SIGNATURE):
                continue
            name = f"{prefix}/{rel}" if prefix else rel
            parts.append({"name": name, "sha256": sha256_file(path), "size": os.path.getsize(path)})
    return parts


def manifest(kind: str, parts: list[dict], counts: Mapping, folders: Mapping[str, str], **extra: object) -> dict:
    return {
        "format": FORMAT,
        "kind": kind,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "folders": dict(folders),
        "parts": parts,
        "counts": dict(counts),
        **extra,
    }


def write_manifest(stage: str, document: dict) -> bytes:
    body = canonical(document)
    with open(os.path.join(stage, MANIFEST), "wb") as f:
        f.write(body)
    return body


def read_manifest(folder: str) -> tuple[dict, bytes]:
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path):
        raise BackupError(f"{MANIFEST}: missing from the backup")
    with open(path, "rb") as f:
        body = f.read()
    try:
        document = json.loads(body)
    except ValueError as error:
        raise BackupError(f"{MANIFEST}: not JSON ({error})") from error
    if document.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST}: unknown format {document.get('format')!r}")
    return document, body


def check_parts(document: Mapping, locate: Callable[[str], str]) -> None:
    """Refuse, naming the part, if any file is missing or differs by a byte.
    `locate(part_name)` gives where that part was restored."""
    for part in document["parts"]:
        path = locate(part["name"])
        if not os.path.isfile(path):
            raise BackupError(f"part {part['name']}: missing from the restored backup")
        if os.path.getsize(path) != part["size"] or sha256_file(path) != part["sha256"]:
            raise BackupError(f"part {part['name']}: SHA-256 does not match the manifest (corrupted or altered)")


def copy_sqlite(source: str, target: str) -> None:
    """A consistent copy of a live SQLite database (its online backup API),
    so a harvest running meanwhile never leaves a torn file."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


@dataclass
class Restic:
    """A restic repository: a local folder, `sftp:host:/path` or `s3:…`.
    The password comes from a file (never the command line, which `ps` shows)."""

    repository: str
    password_file: str
    binary: str = "restic"

    def _env(self) -> dict:
        env = dict(os.environ, RESTIC_REPOSITORY=self.repository, RESTIC_PASSWORD_FILE=self.password_file)
        env.pop("RESTIC_PASSWORD", None)
        return env

    def _run(self, *args: str, cwd: str | None = None) -> str:
        if not shutil.which(self.binary):
            raise BackupError(f"{self.binary} not found: install it (Debian: apt-get install restic)")
        done = subprocess.run([self.binary, *args], env=self._env(), capture_output=True, text=True, cwd=cwd)
        if done.returncode != 0:
            raise BackupError(f"restic {args[0]} failed: {(done.stderr or done.stdout).strip()}")
        return done.stdout

    def ensure(self) -> None:
        """Create the repository on first use."""
        probe = subprocess.run([self.binary, "cat", "config"], env=self._env(), capture_output=True, text=True)
        if probe.returncode != 0:
            self._run("init")

    def backup(self, stage: str, folders: Iterable[str], tags: Iterable[str] = (TAG,)) -> str:
        """Store the staging folder's contents at the snapshot's root and
        each extra folder under its absolute path; answer the snapshot id."""
        args = ["backup", "--json", *(f"--tag={t}" for t in tags), ".", *folders]
        out = self._run(*args, cwd=stage)
        summary = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        done = [s for s in summary if s.get("message_type") == "summary"]
        if not done:
            raise BackupError("restic backup gave no summary")
        return done[-1]["snapshot_id"]

    def forget(self, keep: Mapping[str, int | None]) -> None:
        flags = [f"--keep-{period}={n}" for period, n in keep.items() if n]
        if flags:
            self._run("forget", f"--tag={TAG}", "--prune", *flags)

    def snapshots(self) -> list[dict]:
        return json.loads(self._run("snapshots", "--json", f"--tag={TAG}") or "[]")

    def restore(self, snapshot: str, target: str) -> None:
        self._run("restore", snapshot, "--target", target)

    def stats(self) -> dict:
        return json.loads(self._run("stats", "--json", "--mode", "raw-data"))


def restore_to_temp(restic: Restic, snapshot: str) -> str:
    target = tempfile.mkdtemp(prefix="sdm-restore-")
    restic.restore(snapshot, target)
    return target


def locator(target: str, document: Mapping) -> Callable[[str], str]:
    """part name → where `restic restore` put it under `target`: staged
    parts at the root, extra folders under their absolute paths."""
    folders = document.get("folders") or {}

    def locate(name: str) -> str:
        prefix, _, rest = name.partition("/")
        if rest and prefix in folders:
            return os.path.join(target, folders[prefix].lstrip(os.sep), rest)
        return os.path.join(target, name)

    return locate
