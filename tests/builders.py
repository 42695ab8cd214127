"""Small builders for webhook bodies and configs, shared by tests and benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ZERO = "0001-01-01T00:00:00Z"
REPO = Path(__file__).resolve().parent.parent
WEBHOOK_TOKEN = "test-webhook-token"
API_TOKEN = "test-api-token"


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def alert(
    fingerprint: str,
    starts_at: datetime,
    *,
    status: str = "firing",
    ends_at: datetime | None = None,
    **labels: str,
) -> dict[str, Any]:
    """One webhook alert; labels as keyword arguments (annotations via ``annotations=``)."""
    annotations = labels.pop("annotations", {})  # type: ignore[arg-type]
    return {
        "status": status,
        "labels": {"alertname": "Down", **labels},
        "annotations": annotations,
        "startsAt": rfc3339(starts_at),
        "endsAt": rfc3339(ends_at) if ends_at else ZERO,
        "generatorURL": "http://prometheus.example/graph",
        "fingerprint": fingerprint,
    }


def webhook(
    *alerts: dict[str, Any], group_key: str = "{}:{}", truncated: int = 0
) -> dict[str, Any]:
    statuses = {a["status"] for a in alerts}
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": truncated,
        "status": "firing" if "firing" in statuses else "resolved",
        "receiver": "bridge",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": list(alerts),
    }


def write_config(
    folder: Path,
    *,
    inventory: Path | str | None = REPO / "config" / "inventory.yaml",
    store: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """A bridge.yaml in ``folder`` using the shipped rule sets; returns its path."""
    cfg: dict[str, Any] = {
        "server": {"listen": "127.0.0.1:0", "max_body_bytes": 1024 * 1024},
        "store": store or f"sqlite:///{folder / 'bridge.sqlite3'}",
        "auth": {
            "webhook": {
                "tokens": [{"name": "am", "token": WEBHOOK_TOKEN}],
                "basic": [{"username": "am", "password": "basic-secret"}],
            },
            "api_tokens": [
                {"name": "viewer", "token": API_TOKEN, "roles": ["viewer"]},
                {"name": "privacy-only", "token": "privacy-token", "roles": ["viewer:privacy"]},
            ],
        },
        "regulators": {
            "pts": {"rule_set": "pts-outage", "recipient": "incidentrapport@pts.se"},
            "nkom": {"rule_set": "nkom-varsel", "recipient": "ekomvarsling@nkom.no"},
        },
        "rules_dir": str(REPO / "config" / "rules"),
        "inventory": {"path": str(inventory) if inventory else None},
        "correlation": {
            "ancestor_kind": "site",
            "quiet_period": "30m",
            "window": "10m",
            "key_labels": [["alertname", "cluster"]],
        },
        "evaluation": {"interval": "15s", "stale_after": "2h"},
    }
    for section, values in (extra or {}).items():
        if isinstance(values, dict) and isinstance(cfg.get(section), dict):
            cfg[section] = {**cfg[section], **values}
        else:
            cfg[section] = values
    path = folder / "bridge.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path
