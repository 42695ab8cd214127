"""``bridge replay``: recorded webhooks with their timestamps → when each incident became
reportable, without a server or a store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from builders import REPO, alert, webhook, write_config

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def run_replay(config: Path, records: list[dict]) -> subprocess.CompletedProcess[str]:  # type: ignore[type-arg]
    recording = config.parent / "recording.jsonl"
    recording.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bridge", "replay", "-c", str(config), str(recording)],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_replay_prints_when_the_incident_became_reportable(tmp_path: Path):
    """An outage of 11 500 internet connections recorded for 2h10m is reported as reportable to
    PTS at start + 2h (rule conn-10k-2h), judged by the recording's own timestamps."""
    config = write_config(tmp_path)
    body = webhook(
        alert("a", T0, element="se-olt-ostersund-1"), alert("b", T0, element="se-olt-ostersund-2")
    )
    records = [
        {"received_at": (T0 + timedelta(minutes=m)).isoformat(), "body": body} for m in (1, 60, 130)
    ]
    result = run_replay(config, records)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "reportable to pts" in line]
    assert len(lines) == 1
    assert lines[0].startswith("2026-11-23T10:00:00Z")


def test_replay_names_the_bad_line(tmp_path: Path):
    """A recording with a malformed webhook fails with exit 1 naming the line and field."""
    config = write_config(tmp_path)
    bad = webhook(alert("a", T0))
    bad["version"] = "2"
    result = run_replay(config, [{"received_at": T0.isoformat(), "body": bad}])
    assert result.returncode == 1
    assert "recording.jsonl:1" in result.stderr
    assert "version" in result.stderr
