"""The notices' archive folder (``notices.archive_dir``): an ``.eml`` copy of every message is
written there before it is handed to the relay (bridge/notices/outbox.py), so a folder the
bridge cannot write stops every notice from leaving.

Contract: :func:`ready` makes the folder if it is missing (mode 0700: this user's only,
whatever the umask) and proves it writable by creating and removing a file in it; it returns
None when it is, else one line saying why (for ``bridge serve`` to refuse to start with, naming
the key, instead of failing each approved notice at the moment it should leave).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def make(folder: Path) -> None:
    """The folder, made with mode 0700 if it is missing (parents as the umask gives)."""
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)


def ready(folder: Path) -> str | None:
    """None when ``folder`` exists (made if missing) and this process can write in it; else
    why not (see the module contract)."""
    try:
        make(folder)
        probe = folder / f".write-check-{secrets.token_hex(4)}"
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        probe.unlink()
    except OSError as exc:
        return f"notices.archive_dir {str(folder)!r}: {exc.strerror or exc}"
    return None
