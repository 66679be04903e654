"""One run at a time per data directory.

The lock is an flock on a file in the data directory: the kernel releases it
when the process dies, however it dies, so a killed run never leaves a stale
lock behind (the "stuck Running" jobs of ckanext-harvest).
"""
from __future__ import annotations

import fcntl
import os

LOCK_NAME = "harvest.lock"


class Locked(Exception):
    """Another process holds the data directory's lock."""


class RunLock:
    def __init__(self, data_dir: str):
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, LOCK_NAME)
        self._fd = None

    def __enter__(self):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip()
            os.close(fd)
            raise Locked(f"{self.path} is held by another run (pid {holder or 'unknown'})") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return self

    def __exit__(self, *exc):
        os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing releases the flock
        self._fd = None
