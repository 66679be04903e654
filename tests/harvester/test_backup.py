"""`sdm-harvest backup` / `restore` through a real restic repository: the
store and feeds come back byte for byte, and a damaged backup is refused."""

import os
import sqlite3

import pytest
from harvest_helpers import PLATFORMS, sdm_harvest, write_config

from sdm_harvester import backup

CSV = "file://" + os.path.join(PLATFORMS, "spreadsheet", "bazhong-natural-resources.csv")


@pytest.fixture
def centre(tmp_path):
    """A harvester-only centre: a store with records and published feeds."""
    config = write_config(tmp_path, [{"name": "nr", "type": "spreadsheet", "url": CSV}])
    data, feeds = tmp_path / "data", tmp_path / "feeds"
    assert sdm_harvest("run", "--config", config, "--data-dir", str(data)).returncode == 0
    assert (
        sdm_harvest(
            "publish", "--data-dir", str(data), "--out", str(feeds), "--base-url", "http://127.0.0.1:9"
        ).returncode
        == 0
    )
    password = tmp_path / "restic.pass"
    password.write_text("correct horse battery staple\n")
    return {
        "config": config,
        "data": data,
        "feeds": feeds,
        "repo": str(tmp_path / "repo"),
        "password": str(password),
        "tmp": tmp_path,
    }


def _backup(centre):
    return sdm_harvest(
        "backup",
        "--data-dir",
        str(centre["data"]),
        "--feeds",
        str(centre["feeds"]),
        "--config",
        centre["config"],
        "--repo",
        centre["repo"],
        "--password-file",
        centre["password"],
        "--keep-daily",
        "7",
    )


def _rows(path):
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT source, identifier, hash, data FROM records ORDER BY 1, 2").fetchall()
    finally:
        db.close()


def _tree(root):
    return {
        os.path.relpath(os.path.join(d, f), root): backup.sha256_file(os.path.join(d, f))
        for d, _, files in os.walk(root)
        for f in files
    }


def test_restore_gives_back_store_feeds_and_config(centre):
    made = _backup(centre)
    assert made.returncode == 0, made.stderr
    assert "records_held" in made.stdout
    target, feeds = centre["tmp"] / "restored", centre["tmp"] / "restored-feeds"
    done = sdm_harvest(
        "restore",
        "--data-dir",
        str(target),
        "--feeds",
        str(feeds),
        "--repo",
        centre["repo"],
        "--password-file",
        centre["password"],
    )
    assert done.returncode == 0, done.stderr
    assert _rows(target / "harvest.sqlite") == _rows(centre["data"] / "harvest.sqlite")
    assert _tree(feeds) == _tree(centre["feeds"])
    assert (target / "config" / os.path.basename(centre["config"])).read_text() == open(centre["config"]).read()
    again = sdm_harvest(
        "restore", "--data-dir", str(target), "--repo", centre["repo"], "--password-file", centre["password"]
    )
    assert again.returncode != 0 and "--force" in again.stderr


def test_a_damaged_repository_is_refused(centre):
    assert _backup(centre).returncode == 0
    packs = [os.path.join(d, f) for d, _, files in os.walk(os.path.join(centre["repo"], "data")) for f in files]
    for pack in packs:
        with open(pack, "r+b") as f:
            f.seek(os.path.getsize(pack) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
    done = sdm_harvest(
        "restore",
        "--data-dir",
        str(centre["tmp"] / "r"),
        "--repo",
        centre["repo"],
        "--password-file",
        centre["password"],
    )
    assert done.returncode != 0
    assert not (centre["tmp"] / "r" / "harvest.sqlite").exists()


def test_check_parts_names_the_altered_part(tmp_path):
    stage = tmp_path / "stage"
    (stage / "config").mkdir(parents=True)
    (stage / "config" / "harvest.yaml").write_text("sources: []\n")
    (stage / "harvest.sqlite").write_bytes(b"x" * 100)
    document = backup.manifest("harvester", backup.describe_parts(str(stage), {}), {}, {})
    backup.check_parts(document, backup.locator(str(stage), document))
    (stage / "harvest.sqlite").write_bytes(b"x" * 99 + b"y")
    with pytest.raises(backup.BackupError, match="part harvest.sqlite: SHA-256"):
        backup.check_parts(document, backup.locator(str(stage), document))
