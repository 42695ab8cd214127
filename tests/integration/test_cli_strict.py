"""`bridge check-config` and `bridge serve` refuse an unsafe or meaningless config, naming the
key path (the rules themselves: tests/unit/test_config_strict.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from builders import shipped_config

REPO = Path(__file__).resolve().parents[2]


def bridge(*args: str, timeout: float = 60, **env_extra: str) -> subprocess.CompletedProcess[str]:
    """``python -m bridge ARGS`` from the repository root, no BRIDGE_ variable but ``env_extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIDGE_")}
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        cwd=REPO,
        env={**env, **env_extra},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def refused(run: subprocess.CompletedProcess[str], config: Path | str, *problems: str) -> None:
    """The run exited 1 printing each problem (``KEY: what``) for ``config``."""
    assert run.returncode == 1, run.stdout + run.stderr
    assert "configuration INVALID" in run.stderr
    for problem in problems:
        assert f"  {config}: {problem}" in run.stderr, run.stderr


def changed(tmp_path: Path, mutate: Callable[[dict[str, Any], Path], object]) -> Path:
    return shipped_config(tmp_path, mutate)


def test_check_config_refuses_development_tokens_beyond_loopback() -> None:
    """The shipped config with its listener opened by the environment names every dev token;
    the secret itself is never printed."""
    run = bridge("check-config", "-c", "config/bridge.yaml", BRIDGE_SERVER__LISTEN="0.0.0.0:8080")
    refused(
        run,
        "config/bridge.yaml",
        "auth.webhook.tokens.0.token: a development secret",
        "auth.api_tokens.1.token: a development secret",
    )
    assert "dev-only-webhook-token-change-me" not in run.stdout + run.stderr


def test_serve_refuses_development_tokens_beyond_loopback() -> None:
    """serve refuses to start, rather than listening on every interface with them."""
    run = bridge("serve", "-c", "config/bridge.yaml", timeout=30, BRIDGE_SERVER__LISTEN="0.0.0.0:0")
    refused(run, "config/bridge.yaml", "auth.webhook.tokens.0.token: a development secret")


def test_serve_refuses_a_placeholder_secret_in_one_line_per_key() -> None:
    """A CHANGE-ME… store password left from deploy/kubernetes/secret.yaml: serve exits 1 before
    opening any store, one line naming the variable and key; the URL is never printed."""
    url = "redis://:CHANGE-ME-redis-password@127.0.0.1:1/0"
    run = bridge("serve", "-c", "config/bridge.yaml", timeout=30, BRIDGE_STORE=url)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stderr.splitlines() == [
        "configuration INVALID (1 problem(s)):",
        "  environment BRIDGE_STORE: store: a placeholder secret (CHANGE-ME…, published with the "
        "example deploy files): replace it with a secret of your own (e.g. openssl rand -hex 32)",
    ]


def test_check_config_refuses_a_short_token(tmp_path: Path) -> None:
    def mutate(data: dict[str, Any], _folder: Path) -> None:
        data["auth"]["webhook"]["tokens"][0]["token"] = "alertmanager"

    path = changed(tmp_path, mutate)
    run = bridge("check-config", "-c", str(path))
    refused(run, path, "auth.webhook.tokens.0.token: must be at least 16 characters (got 12)")
    assert "alertmanager" not in run.stderr.partition("(got 12)")[0]


def test_check_config_refuses_a_blank_token_file(tmp_path: Path) -> None:
    def mutate(data: dict[str, Any], folder: Path) -> None:
        (folder / "api.token").write_text("\n", encoding="utf-8")
        data["auth"]["api_tokens"][0] = {
            "name": "noc",
            "token_file": "api.token",
            "roles": ["viewer"],
        }

    path = changed(tmp_path, mutate)
    refused(bridge("check-config", "-c", str(path)), path, "auth.api_tokens.0: token_file:")


def test_check_config_refuses_a_lockout_of_zero() -> None:
    run = bridge(
        "check-config",
        "-c",
        "config/bridge.yaml",
        BRIDGE_AUTH__SESSION__LOCKOUT__LOCK_FOR="0s",
    )
    assert run.returncode == 1
    assert (
        "environment BRIDGE_AUTH__SESSION__LOCKOUT__LOCK_FOR: auth.session.lockout.lock_for: "
        "must be longer than 0s" in run.stderr
    )


def test_check_config_refuses_an_address_that_is_not_one() -> None:
    run = bridge(
        "check-config",
        "-c",
        "config/bridge.yaml",
        BRIDGE_REGULATORS__PTS__RECIPIENT="incidentrapport at pts",
    )
    assert run.returncode == 1
    assert (
        "environment BRIDGE_REGULATORS__PTS__RECIPIENT: regulators.pts.recipient: "
        "'incidentrapport at pts' is not an e-mail address" in run.stderr
    )


def test_check_config_refuses_a_renamed_regulator_and_a_foreign_channel(tmp_path: Path) -> None:
    def mutate(data: dict[str, Any], _folder: Path) -> None:
        data["regulators"]["sweden"] = data["regulators"].pop("pts")
        data["regulators"]["enisa"]["channels"] = {"se_cyber_final": "email"}

    path = changed(tmp_path, mutate)
    refused(
        bridge("check-config", "-c", str(path)),
        path,
        "regulators.sweden: expected the key 'pts'",
        "regulators.enisa.channels.se_cyber_final: not a report kind of rule set enisa-matrix",
    )


def test_check_config_refuses_a_repeated_inventory_column_and_a_negative_total(
    tmp_path: Path,
) -> None:
    def mutate(data: dict[str, Any], folder: Path) -> None:
        (folder / "inventory.csv").write_text(
            "id,parent,jurisdiction,region,conn_internet,conn_internet\na,,SE,R1,5,7\n",
            encoding="utf-8",
        )
        data["inventory"]["path"] = "inventory.csv"

    path = changed(tmp_path, mutate)
    run = bridge("check-config", "-c", str(path))
    assert run.returncode == 1
    assert "inventory.csv: header: column 'conn_internet' appears more than once" in run.stderr
    run = bridge(
        "check-config",
        "-c",
        str(path),
        BRIDGE_INVENTORY__SERVICE_TOTALS="{SE: {internet: -5}}",
    )
    assert run.returncode == 1
    assert (
        "environment BRIDGE_INVENTORY__SERVICE_TOTALS: inventory.service_totals.SE.internet: "
        "Input should be greater than or equal to 1" in run.stderr
    )


def test_check_config_refuses_an_unused_threshold_and_warns_of_an_unknown_service(
    tmp_path: Path,
) -> None:
    def rules(change: Callable[[dict[str, Any]], object]) -> Path:
        def mutate(_data: dict[str, Any], folder: Path) -> None:
            path = folder / "rules" / "pts-outage.yaml"
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            change(data)
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

        return changed(tmp_path, mutate)

    path = rules(lambda r: r["criteria"][3].update(min_connections=5))
    run = bridge("check-config", "-c", str(path))
    assert run.returncode == 1
    assert "pts-outage.yaml: criteria.3: min_connections: not used by kind 'area'" in run.stderr
    path = rules(lambda r: r["criteria"][0].update(service="interwebs"))
    run = bridge("check-config", "-c", str(path))
    assert run.returncode == 0, run.stderr
    assert (
        "WARNING: rule set pts-outage: criteria.0.service: 'interwebs' is no service of the "
        "inventory" in run.stdout
    )


def test_check_config_names_only_the_unknown_key_of_the_long_store_form() -> None:
    run = bridge(
        "check-config", "-c", "config/bridge.yaml", BRIDGE_STORE="{url: redis://h, bogus: 1}"
    )
    assert run.returncode == 1
    assert "configuration INVALID (1 problem(s))" in run.stderr
    assert "environment BRIDGE_STORE: store.bogus: unknown key" in run.stderr
