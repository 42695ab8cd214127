"""Property-based fuzzing of the HTTP API from its own OpenAPI document (schemathesis over
hypothesis) against a real ``bridge serve``, with each role's credentials and none: no answer is
a 5xx, every answer matches the document (status, content type, schema), and no 4xx changes
what is stored (the SQLite file compared before and after; refusals may only append the audit
entries that record them). Bounded to about two minutes on a busy two-core machine."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
import yaml
from bridge_process import BridgeProcess, free_port
from builders import REPO, WEBHOOK_TOKEN, alert, webhook, write_config
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, FailureGroup

#: role → grants of the configured API token fuzzed with it (``None``: no credential at all)
ROLES: dict[str, list[str] | None] = {
    "none": None,
    "viewer": ["viewer"],
    "editor": ["editor"],
    "approver": ["approver"],
    "admin": ["admin"],
    "auditor": ["viewer", "auditor"],
    "privacy": ["approver:privacy"],
}
#: rounds over 48 operations × 7 roles × 2 generation modes, EXAMPLES requests each
ROUNDS = 3
EXAMPLES = 2
#: the whole run stops generating after this many seconds (what ran is still checked)
BUDGET_SECONDS = 50.0
#: audit actions a refusal (4xx) records by design
REFUSALS_AUDITED = {"privacy.refused", "login.failure", "login.lockout"}
#: a read of personal data is recorded before it is answered, whatever the answer
#: (docs/privacy.md): an attempt that ends in 400 or 404 is recorded too
ATTEMPTS_AUDITED = {"privacy.read"}
#: tables whose rows change without a request (the lease is renewed on a timer; sessions note
#: their last use) or that are compared by their own rule (the audit log)
NOT_COMPARED = {"lease", "sessions", "audit"}
AUDIT_CLOCK = ("audit_high", "audit_lag_us")
#: operations not fuzzed: the live feed is an endless event stream
SKIPPED = {("GET", "/api/v1/events")}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class Store:
    """The bridge's SQLite file read from this process: what a request changed. A snapshot is
    taken again only when another connection committed since the last one (``data_version``),
    so the many requests that write nothing cost one PRAGMA."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        self.version = -1
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.audit_seq = 0

    def _version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def current(self) -> None:
        """Bring the snapshot up to date (before a request)."""
        version = self._version()
        if version == self.version:
            return
        self.version = version
        tables = [
            name
            for (name,) in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if name not in NOT_COMPARED and not name.startswith("sqlite_")
        ]
        self.rows = {
            t: sorted(self.conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables
        }
        # the audit log's clock (meta audit_high, audit_lag_us) moves with every entry appended,
        # as the audit table itself does: not compared either
        self.rows["meta"] = [r for r in self.rows.get("meta", []) if r[0] not in AUDIT_CLOCK]
        self.audit_seq = int(
            self.conn.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()[0]
        )

    def changes(self) -> tuple[list[str], set[str]]:
        """(tables changed, audit actions appended) since :meth:`current` was last called."""
        if self._version() == self.version:
            return [], set()
        rows, seq = self.rows, self.audit_seq
        self.current()
        changed = [t for t in self.rows if rows.get(t) != self.rows[t]]
        actions = {
            a for (a,) in self.conn.execute("SELECT action FROM audit WHERE seq > ?", (seq,))
        }
        return changed, actions


def describe(failure: BaseException) -> str:
    """A failure's title and the first lines of its message."""
    title = getattr(failure, "title", type(failure).__name__)
    return f"{title}: " + " ".join(str(failure).split())[:300]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[BridgeProcess, Path]]:
    port = free_port()
    db = tmp_path / "bridge.sqlite3"
    config = write_config(
        tmp_path,
        extra={
            "server": {"listen": f"127.0.0.1:{port}"},
            "auth": {
                "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
                "api_tokens": [
                    {"name": role, "token": f"fuzz-token-for-{role}", "roles": grants}
                    for role, grants in ROLES.items()
                    if grants is not None
                ],
            },
            "notices": {"archive_dir": str(tmp_path / "sent"), "refresh_interval": "0s"},
            "evaluation": {"interval": "1h", "stale_after": "2h"},
            "privacy": {"alert_label": {"incident_type": "privacy"}},
        },
    )
    bridge = BridgeProcess(config, port, tmp_path / "bridge.log")
    bridge.start()
    try:
        yield bridge, db
    finally:
        bridge.stop()


def credentials(role: str, path: str) -> dict[str, str]:
    if role == "none":
        return {}
    if path == "/api/v1/alertmanager":
        return {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    return {"Authorization": f"Bearer fuzz-token-for-{role}"}


@pytest.mark.timeout(BUDGET_SECONDS + 90)
async def test_the_api_fuzzed_from_its_openapi_document_never_fails_or_changes_on_4xx(
    served: tuple[BridgeProcess, Path],
) -> None:
    """Generated requests (valid and invalid) to every documented operation, as each role and
    as nobody: no 5xx, answers as documented, and no 4xx changes stored state."""
    bridge, db = served
    await bridge.wait_ready()
    start = datetime.now(UTC) - timedelta(minutes=5)
    body = webhook(alert("fp-1", start, element="no-cell-ullevaal", severity="major"))
    seeded = requests.post(
        bridge.url + "/api/v1/alertmanager",
        json=body,
        headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
        timeout=10,
    )
    assert seeded.status_code == 200, seeded.text
    document = yaml.safe_load((REPO / "bridge/web/api/openapi.yaml").read_text("utf-8"))
    schema = schemathesis.openapi.from_dict(document)
    deadline = time.monotonic() + BUDGET_SECONDS
    session = requests.Session()
    store = Store(db)
    problems: list[str] = []
    ran = 0
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if (result.ok().method.upper(), result.ok().path) not in SKIPPED
    ]

    def fuzz(operation: Any, role: str, mode: GenerationMode, seed: int) -> None:
        headers = credentials(role, operation.path)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis.seed(seed)
        def one(case: Any) -> None:
            nonlocal ran
            store.current()
            response = case.call(base_url=bridge.url, session=session, headers=headers, timeout=10)
            ran += 1
            label = f"{case.method} {operation.path} → {response.status_code}"
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except (Failure, FailureGroup) as exc:  # collected, reported together
                found = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
                problems.extend(f"{label}: {describe(f)}" for f in found)
            if 400 <= response.status_code < 500:
                changed, audited = store.changes()
                if changed:
                    problems.append(f"{label}: a 4xx changed {changed} ({role})")
                extra = audited - REFUSALS_AUDITED - ATTEMPTS_AUDITED
                if extra:
                    problems.append(f"{label}: a 4xx audited {sorted(extra)} ({role})")

        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            one()

    # rounds over every operation, role and mode, so the time budget cuts all alike
    for seed in range(ROUNDS):
        for operation in operations:
            for role in ROLES:
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    if time.monotonic() < deadline:
                        fuzz(operation, role, mode, seed)
    assert ran > 500, f"only {ran} requests ran"
    assert not problems, f"{len(problems)} problems in {ran} requests:\n" + "\n".join(
        sorted(set(problems))[:80]
    )
