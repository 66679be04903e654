"""One run at a time per data directory, and no writing through links there.

The lock is an flock on a file in the data directory: the kernel releases it
when the process dies, however it dies, so a killed run never leaves a stale
lock behind (the "stuck Running" jobs of ckanext-harvest).  The lock file is
opened without following symbolic links and must be a plain file of its own,
so a link planted in its place cannot make a run truncate another file.
"""

from __future__ import annotations

import fcntl
import os
import stat

LOCK_NAME = "harvest.lock"


class Locked(Exception):
    """Another process holds the data directory's lock."""


class UnsafeFile(OSError):
    """A file of the data directory is a symbolic link (or, for the lock, a
    hard link or not a plain file)."""


def refuse_links(*paths: str) -> None:
    """Refuse to open a data-directory file that is a symbolic link: whoever
    planted it would have the harvester write through it to another file."""
    for path in paths:
        if os.path.islink(path):
            raise UnsafeFile(f"{path} is a symbolic link; refusing to write through it")


class RunLock:
    def __init__(self, data_dir: str) -> None:
        os.makedirs(data_dir, exist_ok=True)
        self.path = os.path.join(data_dir, LOCK_NAME)
        self._fd = None

    def _open(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as error:
            raise UnsafeFile(f"{self.path}: cannot open the lock ({error.strerror}); is it a symbolic link?") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            os.close(fd)
            raise UnsafeFile(f"{self.path}: the lock must be a plain file with no other links; remove it")
        return fd

    def __enter__(self) -> RunLock:
        fd = self._open()
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

    def __exit__(self, *exc: object) -> None:
        os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing releases the flock
        self._fd = None
