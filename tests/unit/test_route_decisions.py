"""The route decisions as data (bridge/web/decisions.py): docs/security.md holds the role × action
table they give, and the one rule of tracks holds in them."""

from __future__ import annotations

from pathlib import Path

from bridge.web import decisions

SECURITY = Path(__file__).resolve().parents[2] / "docs" / "security.md"
BEGIN = "<!-- role-action-table:"
END = "<!-- /role-action-table -->"


def test_security_page_holds_the_table_the_decisions_give() -> None:
    """The role × action table of docs/security.md is the one generated from the decisions."""
    text = SECURITY.read_text(encoding="utf-8")
    start = text.index("\n", text.index(BEGIN)) + 1
    assert text[start : text.index(END)] == decisions.role_action_table()


def test_unscoped_grants_reach_no_privacy_route() -> None:
    """No unscoped grant satisfies a decision on the privacy track, and every route that can
    return or change privacy data is on the privacy track or the target's."""
    unscoped = [[r] for r in ("viewer", "editor", "approver", "admin", "auditor")]
    for key, need in decisions.NEEDS.items():
        if need.track in ("privacy", "target", "own", "roles"):
            for grants in unscoped:
                assert not need.allows(grants, "privacy"), (key, grants)
        if "privacy" in key:
            assert need.track == "privacy", key


def test_sending_and_managing_people_take_a_person_with_a_fresh_factor() -> None:
    """Approve, resolve (resend, mark sent), the exemption, recording a subscriber notice's
    distribution and the cybersecurity act's
    declaration of significance are person+factor routes; so is every change to people and
    API tokens (an API token with admin made a privacy token and a privacy approver it
    controlled), which also takes admin on the tracks of the roles it touches."""
    factor = {k for k, n in decisions.NEEDS.items() if n.who == "person+factor"}
    people = {
        "POST /api/v1/users",
        "PATCH /api/v1/users/{name}",
        "POST /api/v1/tokens",
        "POST /api/v1/tokens/{id}/revoke",
        "POST /api/v1/users/{name}/pending-roles/confirm",
        "POST /api/v1/users/{name}/pending-roles/cancel",
    }
    assert factor == {
        "POST /api/v1/drafts/{id}/approve",
        "POST /api/v1/drafts/{id}/resolve",
        "POST /api/v1/privacy/cases/{id}/exemption",
        "POST /api/v1/incidents/{id}/declaration",
        "POST /api/v1/drafts/{id}/submission",
        "POST /api/v1/privacy/cases/{id}/distribution",
        *people,
    }
    assert {k for k, n in decisions.NEEDS.items() if n.track == "roles"} == people


def test_a_change_to_people_needs_admin_on_every_track_it_touches() -> None:
    """For a change to people or tokens: an outage admin (admin) manages outage roles only;
    admin:all, or admin beside admin:privacy, both tracks; admin:outage or admin:privacy alone
    call no such route."""
    need = decisions.NEEDS["PATCH /api/v1/users/{name}"]
    privacy = ["approver:privacy"]
    assert decisions.unmanaged_tracks(need, ["admin"], ["viewer", "editor:outage"]) == []
    assert decisions.unmanaged_tracks(need, ["admin"], privacy) == ["privacy"]
    assert decisions.unmanaged_tracks(need, ["admin"], ["viewer:all"]) == ["privacy"]
    assert decisions.unmanaged_tracks(need, ["admin:all"], ["viewer:all", *privacy]) == []
    assert decisions.unmanaged_tracks(need, ["admin", "admin:privacy"], privacy) == []
    assert decisions.unmanaged_tracks(need, ["admin:privacy"], privacy) == ["privacy"]
    assert not decisions.allowed(need, ["admin:privacy"])
    assert not decisions.allowed(need, ["admin:outage"])
    assert decisions.allowed(need, ["admin"])


def test_an_auditor_reads_what_was_sent_and_its_history_on_the_tracks_it_audits_only() -> None:
    """An auditor answering a regulator reads, read-only, what was sent and its history: the
    drafts, their versions and diffs, the attachment, the receipt, the archived copies and the
    incident with its alerts and timeline, on the outage track; the audit log on the tracks it
    audits (``auditor`` the outage track, ``auditor:privacy`` the privacy track,
    ``auditor:all`` both). A privacy case's content (personal data) stays with privacy
    viewers: no audit grant reads it. It changes nothing, and reads no live stream, queue or
    people."""
    audit_log = {"GET /api/v1/audit", "GET /api/v1/audit/export", "GET /audit"}
    reads = {
        "GET /api/v1/incidents",
        "GET /api/v1/incidents/{id}",
        "GET /api/v1/incidents/{id}/alerts",
        "GET /api/v1/incidents/{id}/timeline",
        "GET /api/v1/drafts",
        "GET /api/v1/drafts/{id}",
        "GET /api/v1/drafts/{id}/versions/{n}",
        "GET /api/v1/drafts/{id}/diff",
        "GET /api/v1/drafts/{id}/attachment",
        "GET /api/v1/drafts/{id}/receipt",
        "GET /api/v1/drafts/{id}/sent",
        "GET /api/v1/drafts/{id}/sent/{file}",
        "GET /api/v1/privacy/cases/{id}",
        "GET /api/v1/privacy/cases/{id}/revisions",
        "GET /api/v1/audit",
        "GET /api/v1/audit/export",
        "GET /incidents/{id}",
        "GET /drafts/{id}",
        "GET /audit",
    }
    for grant, tracks in (
        ("auditor", {"outage"}),
        ("auditor:privacy", {"privacy"}),
        ("auditor:all", {"outage", "privacy"}),
    ):
        for key, need in decisions.NEEDS.items():
            if not need.roles:
                continue
            on = {
                t
                for t in ("outage", "privacy")
                if need.track in (t, "target", "own", "roles", "-") and need.allows([grant], t)
            }
            if key in reads:
                expected = tracks if need.track in ("target", "own") else tracks & {need.track}
                if key not in audit_log:
                    expected = expected & {"outage"}
                assert on == expected, (grant, key)
            else:
                assert on == set(), (grant, key)
