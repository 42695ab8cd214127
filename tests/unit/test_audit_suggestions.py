"""The actions the console's audit page suggests (bridge/core/audit_search.py): only those that
can find an entry of a track the reader's entries come from."""

from __future__ import annotations

from bridge.core.access import audit_track
from bridge.core.audit_search import SUGGESTED_ACTIONS, suggested_actions


def test_an_outage_auditor_is_not_offered_the_privacy_prefix() -> None:
    assert suggested_actions(["outage"]) == [
        "draft.",
        "outbox.",
        "notice.read_sent",
        "incident.",
        "login.",
        "user.",
        "token.",
        "audit.exported",
        "retention.pruned",
        "store.",
    ]


def test_a_privacy_only_auditor_is_offered_what_privacy_entries_carry() -> None:
    """Sign-ins and accounts are about ``user:…`` targets (outage track): not for them."""
    assert suggested_actions(["privacy"]) == ["draft.", "outbox.", "privacy.", "audit.exported"]


def test_an_auditor_of_both_tracks_is_offered_everything_and_nobody_nothing() -> None:
    assert suggested_actions(["outage", "privacy"]) == [a for a, _ in SUGGESTED_ACTIONS]
    assert suggested_actions([]) == []


def test_the_tracks_said_are_those_of_the_targets_these_actions_are_written_with() -> None:
    """The targets the bridge writes these actions with fall in the tracks the table names."""
    written = {
        "login.": ["user:kari"],
        "user.": ["user:kari"],
        "token.": ["token:3"],
        "incident.": ["incident:inc-20260301-aaaa"],
        "privacy.": ["privacy:priv-20260301-bbbb"],
        "draft.": ["draft:inc-20260301-aaaa.nkom_varsel", "draft:priv-20260301-bbbb.pts_privacy"],
        "outbox.": ["draft:inc-20260301-aaaa.nkom_varsel", "draft:priv-20260301-bbbb.pts_privacy"],
        "notice.read_sent": ["draft:inc-20260301-aaaa.nkom_varsel"],
        "audit.exported": ["audit:export", "privacy:audit-export"],
        "retention.pruned": ["store"],
        "store.": ["store"],
    }
    for action, tracks in SUGGESTED_ACTIONS:
        assert {audit_track(t) for t in written[action]} == tracks, action


def test_every_family_of_actions_the_bridge_writes_is_suggested() -> None:
    """What the bridge writes to the audit log, read from its source (the action of each
    ``AuditEntry`` built with a literal, and the modules' ``ACTION`` constants), is found by
    one of the suggestions: a compliance reader is never left to guess an action's name."""
    import ast
    from pathlib import Path

    import bridge

    written: set[str] = set()
    for path in Path(bridge.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "AuditEntry"
                and len(node.args) >= 3
                and isinstance(node.args[2], ast.Constant)
            ):
                written.add(node.args[2].value)
            elif (
                isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "ACTION" for t in node.targets)
                and isinstance(node.value, ast.Constant)
            ):
                written.add(node.value.value)
    assert {"incident.opened_by_hand", "audit.exported", "retention.pruned"} <= written
    suggested = [a for a, _ in SUGGESTED_ACTIONS]
    missed = sorted(w for w in written if not any(w.startswith(s) for s in suggested))
    assert missed == []
