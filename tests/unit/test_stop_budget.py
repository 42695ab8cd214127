"""The stop's bounds fit the process managers' patience. The service's stop deadline is a
function of the config (:func:`bridge.service.stop_deadline`): ``STOP_DEADLINE`` (15 s) for the
steps around the hand-over in flight, plus ``smtp.timeout`` for that hand-over (at most
``MAX_SMTP_TIMEOUT``, 60 s: a longer one is refused at load). ``bridge serve``'s grace for
requests in flight, then that deadline at its longest, then closing SQLite behind a write that
waits at most its busy timeout, all end before Kubernetes kills the pod (deploy/kubernetes)
and before systemd does (the unit's TimeoutStopSec)."""

from __future__ import annotations

import configparser
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from builders import write_config

from bridge.cli.serve import IN_FLIGHT_GRACE
from bridge.config import load_config
from bridge.config.models import MAX_SMTP_TIMEOUT, BridgeConfig, SmtpConfig
from bridge.core.store_url import SQLITE_MAX_BUSY_TIMEOUT_MS
from bridge.errors import ConfigError
from bridge.service import stop_deadline
from bridge.store.sqlite.connection import SqliteConnection

ROOT = Path(__file__).resolve().parents[2]


def test_the_stop_deadline_gives_the_handover_its_smtp_timeout_and_the_other_steps_15s() -> None:
    """Default smtp.timeout 30 s: the hand-over in flight is let finish within it (not cut at
    15 s into an in-doubt notice), and flush and lease release keep their own 15 s after it."""
    assert stop_deadline(BridgeConfig()) == timedelta(seconds=15)  # no relay, no hand-over
    assert stop_deadline(BridgeConfig(smtp=SmtpConfig())) == timedelta(seconds=45)
    slow = BridgeConfig(smtp=SmtpConfig(timeout=MAX_SMTP_TIMEOUT))
    assert stop_deadline(slow) == timedelta(seconds=75)


def test_a_busy_timeout_beyond_the_stop_budget_is_refused_naming_it_and_the_range(
    tmp_path: Path,
) -> None:
    """A write waits at most the busy timeout for a lock another process holds, and a webhook
    queued behind a batch that waits can wait two of them: an unbounded one outlasts the stop's
    budget and Alertmanager's notification budget (configuration.md gives the reason)."""
    store = f"sqlite:///{tmp_path / 'b.sqlite3'}?busy_timeout_ms=60000"
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, store=store), env={})
    (found,) = info.value.problems
    assert "store: busy_timeout_ms: expected a whole number of milliseconds from 0 to 5000" in found


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("61s", "must be longer than 0s and at most 1m"),
        ("0s", "must be longer than 0s and at most 1m"),
    ],
)
def test_an_smtp_timeout_beyond_the_stop_budget_is_refused(
    tmp_path: Path, value: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write_config(tmp_path, extra={"smtp": {"timeout": value}}), env={})
    (found,) = info.value.problems
    assert f"smtp.timeout: {problem}" in found
    assert f"(got {value!r})" in found


def test_sigterm_to_exit_fits_the_kubernetes_and_systemd_grace_periods() -> None:
    """With the longest busy timeout a SQLite URL may set (longer is refused at load)."""
    default = SqliteConnection("sqlite:///unused.sqlite3").busy_timeout_ms
    assert default <= SQLITE_MAX_BUSY_TIMEOUT_MS
    busy = SQLITE_MAX_BUSY_TIMEOUT_MS / 1000
    longest = stop_deadline(BridgeConfig(smtp=SmtpConfig(timeout=MAX_SMTP_TIMEOUT)))
    worst = IN_FLIGHT_GRACE + longest.total_seconds() + busy
    docs = list(yaml.safe_load_all((ROOT / "deploy/kubernetes/deployment.yaml").read_text()))
    [grace] = [
        d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        for d in docs
        if d and d.get("kind") == "Deployment"
    ]
    assert worst < grace
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read_string((ROOT / "deploy/systemd/incident-bridge.service").read_text())
    timeout_stop = unit["Service"]["TimeoutStopSec"]
    assert timeout_stop.endswith("s")
    assert worst < int(timeout_stop.removesuffix("s"))
