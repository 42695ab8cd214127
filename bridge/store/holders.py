"""Who holds the lease: one process, never a host or a replica name
(:mod:`bridge.replicas.leadership`, "The lease's holder").

A holder is ``REPLICA/PID/NONCE`` (:func:`lease_holder`, e.g. ``vm/4711/3fa2c1``): the replica
id for people (logs, ``/readyz``; the ``bridge_leader{replica}`` label keeps the replica id
alone, so a restart adds no series), the process id and a nonce drawn at start, so two processes
under one name, or a process and its restarted successor, are never the same holder.
"""

from __future__ import annotations

import os
import re
import secrets

_HOLDER = re.compile(r"(?s)(.+)/[0-9]+/[0-9a-f]{6}")


def lease_holder(replica_id: str) -> str:
    """A new holder for this process under ``replica_id``."""
    return f"{replica_id}/{os.getpid()}/{secrets.token_hex(3)}"


def is_process_holder(holder: str) -> bool:
    """Made by :func:`lease_holder` (not a bare name, as bridges before it wrote)."""
    return _HOLDER.fullmatch(holder) is not None


def replica_of(holder: str) -> str:
    """The replica id in a holder made by :func:`lease_holder`; any other holder whole."""
    found = _HOLDER.fullmatch(holder)
    return found.group(1) if found else holder
