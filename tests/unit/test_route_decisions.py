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
        if need.track in ("privacy", "target", "own"):
            for grants in unscoped:
                assert not need.allows(grants, "privacy"), (key, grants)
        if "privacy" in key:
            assert need.track == "privacy", key


def test_sending_routes_take_a_person_with_a_fresh_factor() -> None:
    """Approve, resolve (resend, mark sent), the exemption and the cybersecurity act's
    declaration of significance are person+factor routes."""
    sending = {k for k, n in decisions.NEEDS.items() if n.who == "person+factor"}
    assert sending == {
        "POST /api/v1/drafts/{id}/approve",
        "POST /api/v1/drafts/{id}/resolve",
        "POST /api/v1/privacy/cases/{id}/exemption",
        "POST /api/v1/incidents/{id}/declaration",
        "POST /api/v1/drafts/{id}/submission",
    }
