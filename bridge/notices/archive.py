"""The notices' archive folder (``notices.archive_dir``): an ``.eml`` copy of every message is
written there before it is handed to the relay (bridge/notices/outbox.py), so a folder the
bridge cannot write stops every notice from leaving. The archive is evidence of what may have
reached a regulator: a file in it is never replaced by a different message.

Contract:
- :func:`ready` makes the folder if it is missing (mode 0700: this user's only, whatever the
  umask) and proves it writable by creating and removing a file in it; it returns None when it
  is, else one line saying why (for ``bridge serve`` to refuse to start with, naming the key,
  instead of failing each approved notice at the moment it should leave).
- :func:`keep` archives one message of a draft's approved version: ``DRAFT.vN.eml``, or
  ``DRAFT.vN.K.eml`` (K = 2, 3, …) when that name holds another message. A message is the same
  as an archived one when both have the same ``Message-ID`` and ``Date`` (the same approval of
  the same content: a retry or a person's resend). :mod:`bridge.notices.mail` makes it the same
  bytes too, while the configuration is unchanged: the file holding these very bytes is
  rewritten (fsync, atomic rename), which also dates it to this hand-over. Built after a
  configuration change (From's name, Reply-To: not in the approved content), the same message
  has other bytes: it is kept under a new name beside the first copy, which is never replaced
  (it may be what reached the regulator), and the hand-over goes on. An archived file holding
  another message of the same draft version (approved at another time: e.g. before the store
  was restored from a backup, or by another bridge sharing the folder) is never replaced:
  unless the caller accepted every such file by name (a person decided to send all the same),
  nothing is written and they are returned, for the outbox to hold the hand-over for a person.
  A new name is taken exclusively (``O_EXCL``), so two writers never both take it; an empty
  file (a name taken by a writer that died before its rename) is no message and keeps its
  name taken.
- Beside each archived message the outbox keeps a small JSON sidecar (``NAME.eml.json``,
  :func:`write_sidecar`, same care as the message): the draft, version, Message-ID, recipient,
  hand-over number and time, and who approved it and when (with the second factor's time), then
  the relay's acceptance once it answered. It is what ``bridge restored`` reads to tell a person
  and the audit log what left after a backup (:mod:`bridge.notices.after_restore`). It holds no
  more personal data than the audit log already does (the ``draft.approved`` and
  ``outbox.sent`` entries name the same approver and recipient); never the notice's text.
  :func:`read_sidecar` is lenient: a missing or unreadable sidecar is None (older archives have
  none), and the message's own headers are read instead.
- :func:`copies` lists what the archive holds of one draft (every version, every copy; a name
  taken but never written is no copy), read from the folder's own listing: the names it
  returns are the only ones :func:`read_copy` serves, so no name a caller gives is ever made
  into a path (``GET /api/v1/drafts/{id}/sent``: what a compliance officer downloads is
  exactly the bytes handed to the relay).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
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


@dataclass(frozen=True, slots=True)
class Other:
    """An archived message of the same draft version that is not the one being kept."""

    name: str
    message_id: str | None
    date: str | None

    def describe(self) -> str:
        return f"{self.name} (Message-ID {self.message_id or '-'}, Date {self.date or '-'})"


@dataclass(frozen=True, slots=True)
class Kept:
    """What :func:`keep` did: ``name`` the file holding the message now (None: not written,
    because of ``others`` not accepted) and every other message of the version archived."""

    name: str | None
    others: tuple[Other, ...]


def name_of(draft_id: str, version: int, n: int = 1) -> str:
    return f"{draft_id}.v{version}.eml" if n == 1 else f"{draft_id}.v{version}.{n}.eml"


_NAME = re.compile(r"(?P<draft>.+)\.v(?P<version>\d+)(?:\.(?P<n>\d+))?\.eml")


def draft_of(name: str) -> tuple[str, int] | None:
    """The draft id and version an archived file's name says (None: not an archive name)."""
    found = _NAME.fullmatch(name)
    return None if found is None else (found["draft"], int(found["version"]))


def identity(data: bytes | Path) -> tuple[str | None, str | None]:
    """A message's ``Message-ID`` and ``Date`` (headers only are parsed)."""
    parser = BytesHeaderParser()
    if isinstance(data, Path):
        with data.open("rb") as fh:
            headers = parser.parse(fh)
    else:
        headers = parser.parsebytes(data)
    mid, date = headers.get("Message-ID"), headers.get("Date")
    return (None if mid is None else str(mid).strip(), None if date is None else str(date).strip())


def headers(path: Path) -> dict[str, str]:
    """An archived message's ``Message-ID``, ``Date`` and ``To`` (those present)."""
    with path.open("rb") as fh:
        found = BytesHeaderParser().parse(fh)
    return {k: str(found[k]).strip() for k in ("Message-ID", "Date", "To") if found[k] is not None}


#: the audit action of a read of an outage draft's archived copies (``GET …/sent``, ``…/sent/F``);
#: a privacy draft's are read as privacy data: ``privacy.read``
ACTION = "notice.read_sent"

SIDECAR = ".json"


def sidecar_name(name: str) -> str:
    """The sidecar of the archived message ``name`` (see the module contract)."""
    return name + SIDECAR


def write_sidecar(folder: Path, name: str, body: dict[str, object]) -> None:
    """``body`` as the sidecar of ``folder/name`` (fsync, atomic rename, 0600)."""
    write_whole(
        folder, sidecar_name(name), json.dumps(body, sort_keys=True).encode("utf-8") + b"\n"
    )


def read_sidecar(folder: Path, name: str) -> dict[str, object] | None:
    """The sidecar of ``folder/name``, or None when there is none or it cannot be read."""
    try:
        data = json.loads((folder / sidecar_name(name)).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def keep(folder: Path, draft_id: str, version: int, raw: bytes, accepted: Collection[str]) -> Kept:
    """Archive ``raw`` as a message of ``draft_id``'s ``version`` (see the module contract)."""
    make(folder)  # checked at start (bridge serve); made again if removed since
    mine = identity(raw)
    while True:
        same, others, taken = None, [], set()
        for path in _versions(folder, draft_id, version):
            taken.add(path.name)
            if path.stat().st_size == 0:  # a name taken, its message not (yet) in it
                continue
            theirs = identity(path)
            if theirs == mine:  # the same message: its file, if it holds these very bytes
                if same is None and path.read_bytes() == raw:
                    same = path.name
            else:
                others.append(Other(path.name, *theirs))
        found = tuple(sorted(others, key=lambda o: o.name))
        if any(o.name not in accepted for o in found):
            return Kept(None, found)
        if same is not None:
            write_whole(folder, same, raw)
            return Kept(same, found)
        n = 1
        while name_of(draft_id, version, n) in taken:
            n += 1
        name = name_of(draft_id, version, n)
        try:  # the name, exclusively: another writer that took it first makes us look again
            os.close(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        write_whole(folder, name, raw)
        return Kept(name, found)


def _versions(folder: Path, draft_id: str, version: int) -> list[Path]:
    stem = f"{draft_id}.v{version}"
    return [
        p
        for p in folder.glob(f"{glob.escape(stem)}*.eml")
        if (d := draft_of(p.name)) is not None and d == (draft_id, version)
    ]


def write_whole(folder: Path, name: str, raw: bytes) -> None:
    """``raw`` as ``folder/name``, whole or not at all: a private temporary file, fsync'd, then
    renamed over the name (0600 whatever the umask: privacy cases' personal data)."""
    temp = folder / f".{name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with open(fd, "wb") as fh:
            os.fchmod(fd, 0o600)
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, folder / name)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    sync_folder(folder)


def sync_folder(folder: Path) -> None:
    """A rename in ``folder`` made durable (its directory entry), where the platform allows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class Copy:
    """One archived message of a draft (:func:`copies`): its file, what the message's headers
    and its sidecar say, and its size and SHA-256 (of the file's bytes as they are)."""

    file: str
    version: int
    n: int  # 1 for ``DRAFT.vN.eml``, K for ``DRAFT.vN.K.eml``
    size: int
    sha256: str
    written_at: datetime  # the file's last write (a retry rewrites it: that hand-over)
    message_id: str | None
    date: str | None
    recipient: str | None  # the sidecar's (the envelope), else the message's To
    sidecar: dict[str, object] | None


def copies(folder: Path, draft_id: str) -> list[Copy]:
    """Every message of ``draft_id`` in ``folder`` (none when the folder is missing), by
    version then copy number (see the module contract)."""
    found: list[Copy] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return found
    for entry in entries:
        named = _NAME.fullmatch(entry.name)
        if named is None or named["draft"] != draft_id or not entry.is_file(follow_symlinks=False):
            continue
        copy = _copy(folder, entry.name, int(named["version"]), int(named["n"] or 1))
        if copy is not None:
            found.append(copy)
    return sorted(found, key=lambda c: (c.version, c.n))


def _copy(folder: Path, name: str, version: int, n: int) -> Copy | None:
    path = folder / name
    try:
        raw = path.read_bytes()
        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except FileNotFoundError:  # gone since the listing
        return None
    if not raw:  # a name taken, its message not (yet) in it
        return None
    mid, date = identity(raw)
    to = BytesHeaderParser().parsebytes(raw).get("To")
    sidecar = read_sidecar(folder, name)
    recipient = sidecar.get("recipient") if sidecar is not None else None
    return Copy(
        file=name,
        version=version,
        n=n,
        size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        written_at=written,
        message_id=mid,
        date=date,
        recipient=recipient if isinstance(recipient, str) else (None if to is None else str(to)),
        sidecar=sidecar,
    )


def read_copy(folder: Path, draft_id: str, name: str) -> tuple[Copy, bytes] | None:
    """The copy named ``name`` among :func:`copies` of ``draft_id`` and its bytes (the hash
    is of these very bytes), or None: a name the archive does not list for that draft is never
    opened."""
    for copy in copies(folder, draft_id):
        if copy.file == name:
            try:
                raw = (folder / copy.file).read_bytes()
            except FileNotFoundError:
                return None
            found = _copy_of(copy, raw)
            return found, raw
    return None


def _copy_of(copy: Copy, raw: bytes) -> Copy:
    """``copy`` as of ``raw`` (a retry may have rewritten the file since it was listed)."""
    if len(raw) == copy.size and hashlib.sha256(raw).hexdigest() == copy.sha256:
        return copy
    mid, date = identity(raw)
    return Copy(
        copy.file,
        copy.version,
        copy.n,
        len(raw),
        hashlib.sha256(raw).hexdigest(),
        copy.written_at,
        mid,
        date,
        copy.recipient,
        copy.sidecar,
    )
