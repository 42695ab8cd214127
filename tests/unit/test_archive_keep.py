"""bridge.notices.archive.keep and bridge.notices.witness on a real folder (tmp_path): the
archive never replaces a different message; the witness keeps the highest hand-over number
and says when a store's count is below it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.notices import archive, witness

T = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def message(mid: str, date: str = "Mon, 23 Nov 2026 12:00:00 +0000", body: str = "hei") -> bytes:
    return f"Message-ID: {mid}\r\nDate: {date}\r\nSubject: varsel\r\n\r\n{body}\r\n".encode()


def test_a_retry_of_the_same_message_rewrites_its_own_file(tmp_path: Path) -> None:
    first = message("<d.v1.a@x>", body="first try")
    assert archive.keep(tmp_path, "inc.nkom_varsel", 1, first, ()) == archive.Kept(
        "inc.nkom_varsel.v1.eml", ()
    )
    again = message("<d.v1.a@x>", body="first try")  # same Message-ID and Date
    assert archive.keep(tmp_path, "inc.nkom_varsel", 1, again, ()).name == "inc.nkom_varsel.v1.eml"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inc.nkom_varsel.v1.eml"]
    assert (tmp_path / "inc.nkom_varsel.v1.eml").stat().st_mode & 0o777 == 0o600


def test_a_retry_with_other_headers_is_kept_beside_the_first_not_over_it(tmp_path: Path) -> None:
    """The same approval built again after a configuration change (the From name or the Reply-To
    the reply rule gives: neither is in the content hash) is the same message (Message-ID and
    Date) in other bytes: it is handed over, not held for a person, and archived beside the
    first copy, which may be what reached the regulator; a later retry of either rewrites the
    file holding its own bytes."""
    first = message("<d.v1.a@x>", body="Reply-To: noc@example.net")
    assert archive.keep(tmp_path, "d", 1, first, ()) == archive.Kept("d.v1.eml", ())
    changed = message("<d.v1.a@x>", body="Reply-To: dpo@example.net")
    assert archive.keep(tmp_path, "d", 1, changed, ()) == archive.Kept("d.v1.2.eml", ())
    assert (tmp_path / "d.v1.eml").read_bytes() == first
    assert (tmp_path / "d.v1.2.eml").read_bytes() == changed
    assert archive.keep(tmp_path, "d", 1, changed, ()) == archive.Kept("d.v1.2.eml", ())
    assert archive.keep(tmp_path, "d", 1, first, ()) == archive.Kept("d.v1.eml", ())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.v1.2.eml", "d.v1.eml"]


def test_a_different_message_of_the_same_version_never_replaces_the_archived_one(
    tmp_path: Path,
) -> None:
    """Approved again at another time (the store restored from a backup, the report drafted
    again): nothing written unless the file was accepted; then both are kept."""
    sent = message("<d.v1.a@x>", "Mon, 23 Nov 2026 12:00:00 +0000", "what Nkom got")
    archive.keep(tmp_path, "d", 1, sent, ())
    redrafted = message("<d.v1.a@x>", "Mon, 23 Nov 2026 15:30:00 +0000", "drafted again")
    held = archive.keep(tmp_path, "d", 1, redrafted, ())
    assert held.name is None
    assert held.others == (
        archive.Other("d.v1.eml", "<d.v1.a@x>", "Mon, 23 Nov 2026 12:00:00 +0000"),
    )
    assert (tmp_path / "d.v1.eml").read_bytes() == sent
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.v1.eml"]

    kept = archive.keep(tmp_path, "d", 1, redrafted, {"d.v1.eml"})
    assert kept == archive.Kept("d.v1.2.eml", held.others)
    assert (tmp_path / "d.v1.eml").read_bytes() == sent
    assert (tmp_path / "d.v1.2.eml").read_bytes() == redrafted
    # its retry rewrites its own file; a third message needs both accepted
    assert archive.keep(tmp_path, "d", 1, redrafted, {"d.v1.eml"}).name == "d.v1.2.eml"
    third = message("<d.v1.b@x>", body="a third")
    assert archive.keep(tmp_path, "d", 1, third, {"d.v1.eml"}).name is None
    assert archive.keep(tmp_path, "d", 1, third, {"d.v1.eml", "d.v1.2.eml"}).name == "d.v1.3.eml"
    # other versions and drafts whose ids begin alike are other files
    assert archive.keep(tmp_path, "d", 12, third, ()).name == "d.v12.eml"
    assert archive.keep(tmp_path, "d.v1", 1, third, ()).name == "d.v1.v1.eml"
    assert archive.draft_of("d.v1.3.eml") == ("d", 1) and archive.draft_of("x.eml") is None


def test_an_empty_file_keeps_its_name_taken_and_is_no_message(tmp_path: Path) -> None:
    """A writer that died between taking the name and its rename leaves an empty file: not a
    message to compare with, and its name is not taken again."""
    (tmp_path / "d.v1.eml").write_bytes(b"")
    kept = archive.keep(tmp_path, "d", 1, message("<m@x>"), ())
    assert kept == archive.Kept("d.v1.2.eml", ())


def test_the_witness_keeps_the_highest_number_and_names_a_store_below_it(tmp_path: Path) -> None:
    assert witness.read(tmp_path) is None
    assert witness.problem(tmp_path, None, 0) is None  # a new folder: nothing to compare
    witness.record(tmp_path, witness.Witness(7, "inc.nkom_varsel", T))
    witness.record(tmp_path, witness.Witness(5, "older", T))  # another replica, earlier
    seen = witness.read(tmp_path)
    assert seen == witness.Witness(7, "inc.nkom_varsel", T)
    assert (tmp_path / ".handovers").stat().st_mode & 0o777 == 0o600
    assert witness.problem(tmp_path, seen, 7) is None
    assert witness.problem(tmp_path, seen, 9) is None
    why = witness.problem(tmp_path, seen, 6)
    assert why is not None and "`bridge restored`" in why and "inc.nkom_varsel" in why
    assert "\n" not in why
    assert [p.name for p in tmp_path.iterdir()] == [".handovers"]  # no temporary file left


def test_an_unreadable_witness_is_named_not_ignored(tmp_path: Path) -> None:
    (tmp_path / ".handovers").write_text("{half")
    with pytest.raises(witness.Unreadable) as caught:
        witness.read(tmp_path)
    assert ".handovers" in witness.unreadable(caught.value)
    witness.record(tmp_path, witness.Witness(3, "d", T))  # replaced by a good one
    assert witness.read(tmp_path) == witness.Witness(3, "d", T)
