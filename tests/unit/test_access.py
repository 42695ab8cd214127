"""Pure access decisions: role grants, second factor, lockout, throttle, session expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.core.access import (
    FailureState,
    LockoutPolicy,
    SessionTimeouts,
    address_wait,
    after_failure,
    after_success,
    audit_track,
    grant_problem,
    grants_allow,
    is_user_admin,
    locked_until,
    needs_second_factor,
    password_problem,
    safe_next,
    session_end,
    should_touch,
    step_up_fresh,
)

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("grants", "role", "track", "allowed"),
    [
        (["viewer"], "viewer", "outage", True),
        (["viewer"], "approver", "outage", False),
        (["approver:outage"], "editor", "outage", True),
        (["approver:outage"], "approver", "privacy", False),
        (["approver:privacy"], "viewer", "outage", False),
        (["admin:all"], "approver", "privacy", True),
        (["auditor"], "viewer", "outage", False),
        (["auditor"], "auditor", "outage", True),
        (["viewer", "editor:privacy"], "editor", "privacy", True),
        (["viewer"], "viewer", "privacy", False),  # unscoped: the outage track only
        (["admin"], "viewer", "privacy", False),
        (["auditor"], "auditor", "privacy", False),
        (["auditor:privacy"], "auditor", "privacy", True),
        (["viewer:all"], "viewer", "privacy", True),
    ],
)
def test_grants_rank_and_track(grants: list[str], role: str, track: str, allowed: bool) -> None:
    """A grant gives its role and the lower-ranked ones, on its track only (or all)."""
    assert grants_allow(grants, role, track) is allowed


def test_grant_grammar() -> None:
    """Only known roles and tracks are grants; the problem names what is wrong."""
    assert grant_problem("approver:outage") is None
    assert grant_problem("admin") is None
    assert "unknown role 'boss'" in (grant_problem("boss") or "")
    assert "unknown track 'mail'" in (grant_problem("viewer:mail") or "")
    assert "unknown track ''" in (grant_problem("viewer:") or "")


def test_second_factor_for_approvers_and_admins_only() -> None:
    """Approver or admin on any track needs TOTP; viewer and editor do not."""
    assert needs_second_factor(["viewer", "approver:privacy"])
    assert needs_second_factor(["admin"])
    assert not needs_second_factor(["viewer", "editor:outage", "auditor"])


def test_user_admin_is_unscoped_admin() -> None:
    """Only ``admin`` or ``admin:all`` manages people; a track admin does not."""
    assert is_user_admin(["admin"]) and is_user_admin(["admin:all"])
    assert not is_user_admin(["admin:outage", "approver"])


def test_password_rules() -> None:
    """At least 12 characters, not only spaces."""
    assert password_problem("short") == "must be at least 12 characters"
    assert password_problem(" " * 12) == "must not be only spaces"
    assert password_problem("correct horse battery") is None


def test_fifth_failure_locks_for_the_period_and_then_it_ends() -> None:
    """Four failures do not lock; the fifth locks for 15 minutes; at its end the lock is over
    and the count starts again."""
    policy = LockoutPolicy(max_failures=5, lock_for=15 * MIN)
    state = FailureState(0, None)
    for i in range(4):
        state = after_failure(state, policy, T0 + i * MIN)
        assert locked_until(state, T0 + i * MIN) is None
    state = after_failure(state, policy, T0 + 4 * MIN)
    assert locked_until(state, T0 + 4 * MIN) == T0 + 19 * MIN
    assert locked_until(state, T0 + 19 * MIN - timedelta(seconds=1)) == T0 + 19 * MIN
    assert locked_until(state, T0 + 19 * MIN) is None
    assert state.failed == 0


def test_success_clears_failures() -> None:
    """A successful sign-in forgets earlier failures."""
    assert after_success() == FailureState(0, None)


def test_address_throttle_sliding_window() -> None:
    """The limit-th failure within the window makes the address wait until the oldest one
    counted leaves the window."""
    policy = LockoutPolicy(address_max_failures=3, address_window=10 * MIN)
    failures = [T0, T0 + MIN]
    assert address_wait(failures, policy, T0 + 2 * MIN) is None
    failures.append(T0 + 2 * MIN)
    assert address_wait(failures, policy, T0 + 2 * MIN) == 8 * MIN
    assert address_wait(failures, policy, T0 + 10 * MIN) is None


def test_session_ends_idle_or_absolute() -> None:
    """Idle after no request for the idle timeout; absolute after sign-in plus its timeout,
    however busy."""
    t = SessionTimeouts(idle=30 * MIN, absolute=12 * 60 * MIN)
    assert session_end(T0, T0 + 29 * MIN, t, T0 + 58 * MIN) is None
    assert session_end(T0, T0, t, T0 + 30 * MIN) == "idle timeout"
    late = T0 + 12 * 60 * MIN
    assert session_end(T0, late - MIN, t, late) == "absolute timeout"


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    """A busy page does not write the session on every request."""
    t = SessionTimeouts(idle=30 * MIN)
    assert not should_touch(T0, t, T0 + timedelta(seconds=59))
    assert should_touch(T0, t, T0 + MIN)
    assert should_touch(T0, SessionTimeouts(idle=MIN), T0 + timedelta(seconds=6))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/drafts/x?y=1", "/drafts/x?y=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
        ("", "/"),
        (None, "/"),
        ("drafts", "/"),
    ],
)
def test_next_stays_on_this_site(target: str | None, expected: str) -> None:
    """Only local absolute paths are followed after sign-in."""
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    ("target", "track"),
    [
        ("privacy:priv-20261123-0000abcd", "privacy"),
        ("privacy:cases", "privacy"),
        ("draft:priv-20261123-0000abcd.privacy_initial", "privacy"),
        ("incident:priv-20261123-0000abcd", "privacy"),
        ("draft:inc-20261123-00aa.nkom_varsel", "outage"),
        ("user:anna", "outage"),
        ("token:abc", "outage"),
    ],
)
def test_audit_entries_belong_to_the_track_of_their_target(target: str, track: str) -> None:
    """Entries about privacy cases and their drafts are the privacy track's; all else outage."""
    assert audit_track(target) == track


def test_a_second_factor_covers_actions_within_the_window_only() -> None:
    """A code given at T0 covers an action up to the window after it, never one without a code."""
    window = 5 * MIN
    assert step_up_fresh(T0, window, T0 + window)
    assert not step_up_fresh(T0, window, T0 + window + timedelta(seconds=1))
    assert not step_up_fresh(None, window, T0)
    assert step_up_fresh(T0, timedelta(0), T0) and not step_up_fresh(T0, timedelta(0), T0 + MIN)
