"""``bridge replay``: recorded webhooks with their timestamps → when each incident became
reportable, without a server or a store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from builders import REPO, alert, webhook, write_config

from bridge.core.alerts import format_time

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def run_cli(config: Path, recording: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", "replay", "-c", str(config), str(recording), *flags],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_replay(config: Path, records: list[dict]) -> subprocess.CompletedProcess[str]:  # type: ignore[type-arg]
    recording = config.parent / "recording.jsonl"
    recording.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return run_cli(config, recording)


@pytest.mark.parametrize(
    ("start", "words"),
    [
        # before the repeal of LEK 8 kap. (pts-outage's repealed_on): PTS's law in force
        (datetime(2025, 11, 23, 8, 0, tzinfo=UTC), "reportable to pts (pts-outage)"),
        # since: the operator's internal threshold, owed to no regulator
        (
            T0,
            "pts-outage met: internal threshold (repealed 2026-01-15), owed to no regulator",
        ),
    ],
)
def test_replay_prints_when_the_incident_became_reportable(
    tmp_path: Path, start: datetime, words: str
):
    """An outage of 11 500 internet connections recorded for 2h10m meets pts-outage at
    start + 2h (rule conn-10k-2h), judged by the recording's own timestamps: reportable to PTS
    for an incident of November 2025, the internal threshold for one of November 2026, whose
    lines never say it is reportable to or owed to PTS."""
    config = write_config(tmp_path)
    body = webhook(
        alert("a", start, element="se-olt-ostersund-1"),
        alert("b", start, element="se-olt-ostersund-2"),
    )
    records = [
        {"received_at": (start + timedelta(minutes=m)).isoformat(), "body": body}
        for m in (1, 60, 130)
    ]
    result = run_replay(config, records)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "pts-outage" in line]
    assert lines[0].strip() == f"{format_time(start + timedelta(hours=2))}  {words}"
    if start > datetime(2026, 1, 15, tzinfo=UTC):
        assert all(line.endswith("owed to no regulator") for line in lines), lines
        assert "reportable to pts" not in result.stdout and "owes pts" not in result.stdout


def test_replay_names_the_bad_line(tmp_path: Path):
    """A recording with a malformed webhook fails with exit 1 naming the line and field."""
    config = write_config(tmp_path)
    bad = webhook(alert("a", T0))
    bad["version"] = "2"
    result = run_replay(config, [{"received_at": T0.isoformat(), "body": bad}])
    assert result.returncode == 1
    assert "recording.jsonl:1" in result.stderr
    assert "version" in result.stderr


RECORDING = REPO / "tests" / "data" / "replay" / "alertmanager.jsonl"


def replay_json(config: Path, recording: Path) -> dict:  # type: ignore[type-arg]
    result = run_cli(config, recording, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_real_alertmanager_recording_gives_what_was_owed_when_and_a_forecast(tmp_path: Path):
    """The webhooks a real Alertmanager sent (tests/data/replay/record_alertmanager.py): the
    Östersund outage meets pts-outage two hours after its alerts started and opens the initial
    report, all binding false (November 2026: the operator's internal threshold since the
    repeal), and, with no further alert, closes at its last resolve plus the quiet period and
    its report's due time passes; the Ullevål cell owes Nkom a varsel within an hour, overdue
    (binding) in the forecast."""
    lines = [json.loads(line) for line in RECORDING.read_text(encoding="utf-8").splitlines()]
    bodies = [line["body"] for line in lines]
    olt = next(a for b in bodies for a in b["alerts"] if a["labels"]["alertname"] == "OltDown")
    cell = next(a for b in bodies for a in b["alerts"] if a["labels"]["alertname"] == "CellDown")
    resolved = max(a["endsAt"] for b in bodies for a in b["alerts"] if a["status"] == "resolved")
    start = datetime.fromisoformat(olt["startsAt"])
    report = replay_json(write_config(tmp_path), RECORDING)
    assert report["last_record"] == lines[-1]["received_at"]
    by_key = {inc["key"]: inc for inc in report["incidents"]}
    se, no = by_key["topo:se-site-ostersund"], by_key["topo:no-site-oslo-sentrum"]

    def changes(inc: dict, what: str, forecast: bool | None = None) -> list[dict]:  # type: ignore[type-arg]
        return [
            c
            for c in inc["changes"]
            if c["what"] == what and (forecast is None or c["forecast"] == forecast)
        ]

    (pts,) = [c for c in changes(se, "reportable") if c["regulator"] == "pts"]
    assert datetime.fromisoformat(pts["at"]) == start + timedelta(hours=2)
    assert not pts["forecast"]
    owed = {(o["regulator"], o["kind"]): o for o in se["obligations"]}
    initial = owed[("pts", "pts_initial")]
    assert initial["due_at"] is not None
    (closed,) = changes(se, "closed", forecast=True)
    ended = datetime.fromisoformat(closed["ended_at"])
    assert ended == datetime.fromisoformat(resolved)
    assert datetime.fromisoformat(closed["at"]) == ended + timedelta(minutes=30)
    (overdue,) = [c for c in changes(se, "overdue", forecast=True) if c["kind"] == "pts_initial"]
    assert overdue["at"] == initial["due_at"]
    # November 2026: pts-outage's law was repealed on 2026-01-15, so the verdict, the report
    # and its passed due time all carry binding false, as the obligation does
    assert initial["binding"] is False
    for c in se["changes"]:
        if c.get("regulator") == "pts":
            assert (c["binding"], c["repealed_on"]) == (False, "2026-01-15"), c

    (nkom,) = [c for c in changes(no, "reportable") if c["regulator"] == "nkom"]
    assert datetime.fromisoformat(nkom["at"]) == datetime.fromisoformat(cell["startsAt"])
    varsel = next(o for o in no["obligations"] if o["kind"] == "nkom_varsel")
    (late,) = [c for c in changes(no, "overdue", forecast=True) if c["kind"] == "nkom_varsel"]
    assert late["at"] == varsel["due_at"]
    assert late["binding"] is True and varsel["binding"] is True
    assert no["state"] == "open"  # the cell never resolved


EXPECTED = RECORDING.with_name("alertmanager.expected.txt")


def test_the_real_recording_reads_as_what_each_rule_set_means(tmp_path: Path):
    """``bridge replay -c config/bridge.yaml`` on the real recording prints exactly
    tests/data/replay/alertmanager.expected.txt (docs/configuration.md quotes it): the
    November-2026 Östersund outage is potentially significant under se-cyber with what a
    declaration would owe, meets the ENISA reference matrix, and meets pts-outage as the
    internal threshold (repealed 2026-01-15) owed to no regulator on every line, its passed due
    time no regulator's overdue; the Oslo cell is reportable to Nkom and its varsel overdue.
    After a deliberate change of words, rewrite the file with the same command and read the
    diff."""
    result = run_cli(REPO / "config" / "bridge.yaml", RECORDING)
    assert result.returncode == 0, result.stderr
    assert result.stdout == EXPECTED.read_text(encoding="utf-8")
    assert "reportable to csirt" not in result.stdout
    assert "reportable to enisa" not in result.stdout
    assert "owes pts" not in result.stdout and "pts pts_initial overdue" not in result.stdout


def test_the_real_recording_as_json_means_what_the_incident_documents_say():
    """``--json`` with config/bridge.yaml: each met rule set carries what the incident's
    document (the API, the metrics' ``binding`` label) says of it: se-cyber in force and
    nkom-varsel bind; the ENISA reference matrix and pts-outage since its repeal bind no one."""
    report = replay_json(REPO / "config" / "bridge.yaml", RECORDING)
    said = {
        c["rule_set"]: (c["binding"], c["reference"], c["repealed_on"])
        for inc in report["incidents"]
        for c in inc["changes"]
        if c["what"] == "reportable"
    }
    assert said == {
        "se-cyber": (True, False, None),
        "enisa-matrix": (False, True, None),
        "pts-outage": (False, False, "2026-01-15"),
        "nkom-varsel": (True, False, None),
    }


def test_an_alert_starting_after_it_was_received_owes_what_it_would_owe_from_its_start(
    tmp_path: Path,
):
    """Prometheus's clock ahead of the bridge's: an alert received at 10:00 whose startsAt is
    10:10 (the webhook takes up to a day ahead) becomes reportable and owes what the same
    alert starting at 10:00 does, each 10 minutes later; re-sent unchanged at 14:00 and
    18:00, those changes are in the past, not forecast."""
    config = write_config(
        tmp_path,
        extra={
            "regulators": {
                "csirt": {"rule_set": "se-cyber", "channel": "portal"},
                "enisa": {"rule_set": "enisa-matrix"},
            }
        },
    )
    received = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    skew = timedelta(minutes=10)

    def recording(name: str, starts: datetime, *resent: int) -> Path:
        body = webhook(
            alert("f1", starts, alertname="SiteDown", cluster="c1", element="se-site-ostersund"),
            group_key='{}:{alertname="X"}',
        )
        path = tmp_path / f"{name}.jsonl"
        records = [received, *(received + timedelta(hours=h) for h in resent)]
        lines = [json.dumps({"received_at": r.isoformat(), "body": body}) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def owed(report: dict, shift: timedelta) -> tuple[object, ...]:  # type: ignore[type-arg]
        (inc,) = report["incidents"]
        changes = sorted(
            (c["what"], c["regulator"], c.get("kind"), datetime.fromisoformat(c["at"]) - shift)
            for c in inc["changes"]
            if c["what"] in ("reportable", "owes")
        )
        obligations = sorted(
            (o["regulator"], o["kind"], o["due_at"], o["state"]) for o in inc["obligations"]
        )
        return datetime.fromisoformat(inc["started_at"]) - shift, changes, obligations

    on_time = owed(replay_json(config, recording("a", received)), timedelta(0))
    started, changes, obligations = on_time
    assert started == received
    assert ("reportable", "csirt", None, received) in changes
    assert ("reportable", "pts", None, received + timedelta(minutes=30)) in changes
    assert ("reportable", "enisa", None, received + timedelta(hours=1)) in changes
    assert ("pts", "pts_initial") in {o[:2] for o in obligations}
    # the due dates are calendar days (end of day, Europe/Stockholm): 10 minutes move none
    assert owed(replay_json(config, recording("b", received + skew)), skew) == on_time
    assert owed(replay_json(config, recording("c", received + skew, 4, 8)), skew) == on_time


def one_line(result: subprocess.CompletedProcess[str], *names: str) -> None:
    """Exit 1 and one stderr line naming ``names``; no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for name in names:
        assert name in result.stderr, result.stderr


def test_a_recording_that_cannot_be_read_is_one_line_naming_it(tmp_path: Path):
    """A missing recording, a directory, or one that is not UTF-8 (a Latin-1 å): exit 1, one
    line naming the file (and the first bad byte), no traceback."""
    config = write_config(tmp_path)
    one_line(run_cli(config, tmp_path / "missing.jsonl"), "missing.jsonl", "No such file")
    one_line(run_cli(config, tmp_path), str(tmp_path), "cannot read")
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(b'{"received_at": "2026-11-23T08:00:00Z", "body": {"x": "\xe5"}}\n')
    one_line(run_cli(config, latin1), "latin1.jsonl", "not UTF-8", "0xe5", "line 1")


def test_replay_with_a_bad_configuration_names_the_problem(tmp_path: Path):
    """A configuration that does not load, or an inventory that does not, is reported as every
    other command reports it (the problem naming the file and field), exit 1, no traceback."""
    recording = tmp_path / "recording.jsonl"
    recording.write_text("", encoding="utf-8")
    missing = run_cli(tmp_path / "nowhere.yaml", recording)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr, missing.stderr
    assert "nowhere.yaml: cannot read" in missing.stderr
    bad_inventory = tmp_path / "inventory.yaml"
    bad_inventory.write_text("elements: [{id: x, kind: nonsense}]\n", encoding="utf-8")
    config = write_config(tmp_path, inventory=bad_inventory)
    result = run_cli(config, recording)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert "inventory.yaml" in result.stderr
    assert result.stderr.startswith("configuration INVALID")
