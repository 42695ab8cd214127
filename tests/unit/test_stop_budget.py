"""The stop's bounds fit the process managers' patience: ``bridge serve``'s grace for requests
in flight, then the service's stop deadline, then closing SQLite behind a write that waits at
most its busy timeout, all end before Kubernetes kills the pod (deploy/kubernetes) and before
systemd's default 90 s (the unit sets no TimeoutStopSec)."""

from __future__ import annotations

from pathlib import Path

import yaml

from bridge.cli.serve import IN_FLIGHT_GRACE
from bridge.service import STOP_DEADLINE
from bridge.store.sqlite.connection import SqliteConnection

ROOT = Path(__file__).resolve().parents[2]


def test_sigterm_to_exit_fits_the_kubernetes_and_systemd_grace_periods() -> None:
    busy = SqliteConnection("sqlite:///unused.sqlite3").busy_timeout_ms / 1000
    worst = IN_FLIGHT_GRACE + STOP_DEADLINE.total_seconds() + busy
    docs = list(yaml.safe_load_all((ROOT / "deploy/kubernetes/deployment.yaml").read_text()))
    [grace] = [
        d["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
        for d in docs
        if d and d.get("kind") == "Deployment"
    ]
    assert worst < grace
    unit = (ROOT / "deploy/systemd/incident-bridge.service").read_text()
    assert "TimeoutStopSec" not in unit and worst < 90
