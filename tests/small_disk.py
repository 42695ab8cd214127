"""A real small filesystem for the tests of a full disk: a tmpfs mounted in the test's folder
(``mount`` needs root, as CI runs the tests; elsewhere the test is skipped, saying why), which
:meth:`SmallDisk.fill` fills to the last byte and :meth:`SmallDisk.free` empties again, as an
operator would by deleting what filled it."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


class SmallDisk:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._filler = path / "filler"

    def fill(self) -> None:
        """Write a file until the filesystem has no byte left."""
        fd = os.open(self._filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in (1 << 16, 1 << 12, 1):
                chunk = b"\0" * size
                while True:
                    try:
                        if os.write(fd, chunk) < size:
                            break
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
        finally:
            os.close(fd)

    def free(self) -> None:
        """Remove what :meth:`fill` wrote."""
        self._filler.unlink()


@contextlib.contextmanager
def small_disk(path: Path, size: str = "8m") -> Iterator[SmallDisk]:
    """A tmpfs of ``size`` mounted at ``path`` (made), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("a full disk is a tmpfs mounted by the test: needs root (CI runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs for a full disk: {mounted.stderr.strip()}")
    try:
        yield SmallDisk(path)
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
