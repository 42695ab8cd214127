"""The audit log records the configuration each start runs with, when it differs from what it
last recorded (``config.loaded``): which sections and rule sets changed, and the full text of
each rule set that did. A compliance officer asked about a night eight months ago can read the
criteria as they were then from the log, not from today's files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from builders import EDITOR_VIEWER_AUDITOR, REPO, bearer_for, token_auth, write_config


def _config(tmp_path: Path, rules: Path) -> Path:
    return write_config(
        tmp_path, extra={"auth": token_auth(EDITOR_VIEWER_AUDITOR), "rules_dir": str(rules)}
    )


async def _recorded(client: Any) -> list[dict[str, Any]]:
    r = await client.get("/api/v1/audit?action=config.loaded", headers=bearer_for("auditor"))
    assert r.status == 200, await r.text()
    entries: list[dict[str, Any]] = (await r.json())["entries"]
    return entries


async def test_each_start_records_a_changed_configuration_once(
    tmp_path: Path, client_for: Any
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "config" / "rules", rules)
    config = _config(tmp_path, rules)

    first = await client_for(config)
    [entry] = await _recorded(first)
    assert entry["actor"] == "bridge" and entry["target"] == "config"
    detail = entry["detail"]
    assert "rule_set:nkom-varsel" in detail["changed"] and "section:regulators" in detail["changed"]
    assert "store" not in detail["sections"]  # its URL may carry a password
    words = str(detail["rule_set_texts"]["nkom-varsel"]["criteria"])
    await first.close()

    again = await client_for(config)  # the same configuration: nothing new recorded
    assert len(await _recorded(again)) == 1
    await again.close()

    nkom = rules / "nkom-varsel.yaml"
    nkom.write_text(
        nkom.read_text(encoding="utf-8").replace(
            "rates the incident alvorlig", "rates the incident ALVORLIG"
        )
    )
    changed = await client_for(config)
    latest, earlier = await _recorded(changed)
    assert latest["detail"]["changed"] == ["rule_set:nkom-varsel"]
    assert list(latest["detail"]["rule_set_texts"]) == ["nkom-varsel"]
    assert "ALVORLIG" in str(latest["detail"]["rule_set_texts"]["nkom-varsel"])
    assert earlier["detail"]["rule_set_texts"]["nkom-varsel"]["criteria"] is not None
    assert "ALVORLIG" not in words  # the earlier entry keeps the words as they were
