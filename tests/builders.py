"""Small builders for webhook bodies and configs, shared by tests and benchmarks."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ZERO = "0001-01-01T00:00:00Z"
REPO = Path(__file__).resolve().parent.parent
WEBHOOK_TOKEN = "test-webhook-token"
API_TOKEN = "test-api-token-viewer"


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


def bearer_for(who: str) -> dict[str, str]:
    """The ``Authorization`` header of :func:`token_auth`'s API token for ``who``."""
    return {"Authorization": f"Bearer test-token-for-{who}"}


def two_track_config(folder: Path, roles: dict[str, list[str]], **extra: Any) -> Path:
    """:func:`write_config` with an API token per name in ``roles`` (:func:`token_auth`), a
    Swedish operator identity and the privacy track's subscriber-notice recipient, for tests
    that read both tracks; ``extra``: more top-level sections."""
    return write_config(
        folder,
        extra={
            "auth": token_auth(roles),
            "operator": {
                "name": "Exempel Nät AB",
                "org_number": "556000-0000",
                "contact": {"name": "Dataskydd", "phone": "+46 10 000 00 00", "email": "d@ex.net"},
            },
            "privacy": {"subscriber_notice_recipient": "kund@example.net"},
            **extra,
        },
    )


def token_auth(roles: dict[str, list[str]], **more: Any) -> dict[str, Any]:
    """An ``auth`` section: Alertmanager's webhook token and one API token per name, its
    secret ``test-token-for-<name>`` (send ``Authorization: Bearer test-token-for-<name>``), with
    those roles; ``more``
    adds other ``auth`` keys (``session=…``)."""
    return {
        "webhook": {"tokens": [{"name": "am", "token": WEBHOOK_TOKEN}]},
        "api_tokens": [
            {"name": who, "token": f"test-token-for-{who}", "roles": granted}
            for who, granted in roles.items()
        ],
        **more,
    }


#: one API token each for an editor, a viewer and an auditor (``token_auth``'s ``roles``)
EDITOR_VIEWER_AUDITOR = {
    "editor": ["viewer", "editor"],
    "viewer": ["viewer"],
    "auditor": ["viewer", "auditor"],
}


def token_config(
    folder: Path,
    roles: dict[str, list[str]],
    *,
    session: dict[str, Any] | None = None,
    **sections: Any,
) -> Path:
    """``write_config(folder, extra=…)`` whose ``auth`` is ``token_auth(roles)`` (with
    ``session`` as ``auth.session`` when given) and whose other top-level sections are
    ``sections`` (``notices={…}``, ``privacy={…}``); returns the config's path."""
    auth = token_auth(roles) if session is None else token_auth(roles, session=session)
    return write_config(folder, extra={"auth": auth, **sections})


def notice_sections(smtp: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Config sections that send notices at once through ``smtp`` (a test SMTP server's
    config), archived under ``folder / "sent"``."""
    return {
        "smtp": smtp,
        "notices": {
            "archive_dir": str(folder / "sent"),
            "refresh_interval": "0s",
            "poll_interval": "200ms",
        },
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
                "basic": [{"username": "am", "password": "basic-secret-for-am"}],
            },
            "api_tokens": [
                {"name": "viewer", "token": API_TOKEN, "roles": ["viewer"]},
                {
                    "name": "privacy-only",
                    "token": "privacy-viewer-token",
                    "roles": ["viewer:privacy"],
                },
            ],
            "session": {"cookie_secure": False},  # tests speak plain http to 127.0.0.1
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


# ---- people (console sign-in) ---------------------------------------------------------------

#: A fixed base32 TOTP secret for tests: compute codes with ``pyotp.TOTP(TOTP_SECRET).at(t)``.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
#: A password long enough for the policy (12+ characters).
PASSWORD = "correct horse battery staple"


def user_record(
    name: str,
    roles: list[str] | tuple[str, ...],
    *,
    password: str = PASSWORD,
    totp_secret: str | None = TOTP_SECRET,
    enrolled: bool = True,
    at: datetime | None = None,
) -> Any:
    """A UserRecord with an argon2id hash of ``password`` (cheap parameters: tests hash many;
    verification reads the parameters from the hash) and, when ``enrolled``, ``totp_secret``."""
    from argon2 import PasswordHasher

    from bridge.store.records import UserRecord

    when = at or datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    return UserRecord(
        name=name,
        display_name=name.title(),
        password_hash=hasher.hash(password),
        grants=tuple(roles),
        created_at=when,
        updated_at=when,
        totp_secret=totp_secret if enrolled else None,
        totp_enrolled=enrolled and totp_secret is not None,
    )


async def add_user(store: Any, name: str, roles: list[str], **kw: Any) -> Any:
    """Write a user (see :func:`user_record`) into an open Store; returns the record."""
    record = user_record(name, roles, **kw)
    await store.put_user(record, None, [])
    return record


def seed_user(store_url: str, name: str, roles: list[str], **kw: Any) -> Any:
    """Open the store at ``store_url`` (``sqlite:///…`` or ``redis://…``), write the user, close
    it: for tests that start the bridge afterwards (browser tests). Not inside an event loop."""
    import asyncio

    from bridge.store import make_store

    async def run() -> Any:
        store = make_store(store_url)
        await store.open()
        try:
            return await add_user(store, name, roles, **kw)
        finally:
            await store.close()

    return asyncio.run(run())


def shipped_config(folder: Path, mutate: Callable[[dict[str, Any], Path], object] | None) -> Path:
    """A copy of the shipped config/ (bridge.yaml, rule sets, inventory) in ``folder``, its
    bridge.yaml changed by ``mutate(data, folder)`` (which may change the other files too);
    returns the bridge.yaml's path."""
    shutil.copytree(REPO / "config", folder, dirs_exist_ok=True)
    path = folder / "bridge.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if mutate is not None:
        mutate(data, folder)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def alert_details(client: Any, incident_id: str, headers: dict[str, str]) -> list[Any]:
    """Every alert of an incident (``GET /api/v1/incidents/{id}/alerts``, page by page): the
    incident's document leaves them out."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        params = {"limit": "1000"} | ({"cursor": cursor} if cursor else {})
        response = await client.get(
            f"/api/v1/incidents/{incident_id}/alerts", params=params, headers=headers
        )
        assert response.status == 200, await response.text()
        body = await response.json()
        items += body["alerts"]
        cursor = body.get("next")
        if cursor is None:
            return items
