"""The revision rules every store applies to documents under compare-and-set (drafts, privacy
cases, users, API tokens), and the one live token per name, with one wording of every
refusal."""

from __future__ import annotations

from bridge.errors import Conflict, NameTaken
from bridge.store.records import (
    DeclarationRecord,
    DraftRecord,
    PrivacyCaseRecord,
    TokenRecord,
)


def check_revision(what: str, revision: int, expected_revision: int | None) -> None:
    """Raise Conflict unless ``revision`` is one more than ``expected_revision`` (1 when new)."""
    wanted = 1 if expected_revision is None else expected_revision + 1
    if revision != wanted:
        raise Conflict(what, f"revision {revision} does not follow {expected_revision}")


def check_follows(
    record: DraftRecord | PrivacyCaseRecord | DeclarationRecord,
    expected_revision: int | None,
    what: str = "draft",
) -> None:
    """Raise Conflict unless ``record.revision`` is one more than ``expected_revision`` (1 for a
    new record): checked by every store before it touches storage."""
    check_revision(f"{what} {record.id}", record.revision, expected_revision)


def revision_problem(stored: int | None, expected: int | None) -> str:
    """Why a draft write was refused (one wording for every store)."""
    if expected is None:
        return f"it exists already (revision {stored})"
    if stored is None:
        return "it does not exist"
    return f"it changed meanwhile (revision {stored}, expected {expected}): re-read and retry"


def name_taken(token: TokenRecord, holder: str) -> NameTaken:
    """The refusal of ``token``, live under a name the live token ``holder`` holds."""
    return NameTaken(
        "name",
        token.name,
        holder,
        f"{token.name!r} is the name of the live token {holder} (one live token per name, in "
        "any case); nothing was written",
    )
