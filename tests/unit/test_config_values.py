"""bridge.yaml values that parse but make no sense or are unsafe: each refused at load with a
problem naming the file, the key path and what is allowed (never a traceback)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import write_config

from bridge.config import load_config
from bridge.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def config(tmp_path: Path, **sections: Any) -> Path:
    """The test builder's bridge.yaml with ``sections`` merged over its own."""
    return write_config(tmp_path, extra=sections)


def only_problem(path: Path) -> str:
    """The one problem of a config that must fail; it names the file."""
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    problems = info.value.problems
    assert len(problems) == 1, problems
    assert str(path.parent) in problems[0], problems[0]
    return problems[0]


def rules_with(tmp_path: Path, name: str, change: Any) -> Path:
    """A copy of the shipped rule sets with ``change(data)`` applied to ``name``'s file."""
    rules = tmp_path / "rules"
    shutil.copytree(REPO / "config" / "rules", rules)
    file = rules / f"{name}.yaml"
    data = yaml.safe_load(file.read_text(encoding="utf-8"))
    change(data)
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return rules


# ---- durations: at most 100 years -----------------------------------------------------------


@pytest.mark.parametrize("value", ["1000000000d", "99999999999999999999d", "36526d"])
def test_a_duration_beyond_100_years_is_refused(tmp_path: Path, value: str) -> None:
    """A duration too long for a timedelta, or longer than 100 years, names the key."""
    problem = only_problem(config(tmp_path, evaluation={"interval": value}))
    assert "evaluation.interval: expected a duration of at most 36525d (100 years)" in problem


def test_a_rule_set_duration_beyond_100_years_is_refused(tmp_path: Path) -> None:
    """A criterion's min_duration too long for a timedelta names the rule file and the key."""

    def change(data: dict[str, Any]) -> None:
        data["criteria"][0]["min_duration"] = "9999999999d"

    rules = rules_with(tmp_path, "pts-outage", change)
    problem = only_problem(config(tmp_path, rules_dir=str(rules)))
    assert str(rules / "pts-outage.yaml") in problem
    assert "criteria.0" in problem and "min_duration: expected a duration of at most" in problem


def test_a_retention_period_beyond_100_years_is_refused(tmp_path: Path) -> None:
    """999999d passed once and crashed ``bridge prune`` (date value out of range)."""
    problem = only_problem(config(tmp_path, retention={"alerts": "999999d"}))
    assert "retention.alerts: expected a duration of at most 36525d" in problem


def test_100_years_is_the_longest_duration(tmp_path: Path) -> None:
    """36525d is accepted wherever a duration or a period is."""
    loaded = load_config(
        config(tmp_path, retention={"alerts": "36525d"}, evaluation={"stale_after": "36525d"}),
        env={},
    )
    assert loaded.config.retention.alerts is not None
    assert loaded.config.retention.alerts.days == 36525


# ---- intervals that must be longer than nothing ---------------------------------------------


@pytest.mark.parametrize(
    ("section", "key", "value", "allowed"),
    [
        ("notices", "poll_interval", "0s", "must be at least 100ms"),
        ("notices", "poll_interval", "50ms", "must be at least 100ms"),
        ("notices", "retry_initial", "0s", "must be at least 1s"),
        ("notices", "retry_max", "0s", "must be at least 1s"),
        ("evaluation", "stale_after", "0s", "must be at least 1m"),
        ("correlation", "window", "0s", "must be longer than 0s"),
    ],
)
def test_an_interval_too_short_to_mean_anything_is_refused(
    tmp_path: Path, section: str, key: str, value: str, allowed: str
) -> None:
    """poll_interval 0s made the outbox spin at 90 % CPU; the others meant nothing."""
    problem = only_problem(config(tmp_path, **{section: {key: value}}))
    assert f"{section}.{key}: {allowed}" in problem
    assert repr(value) in problem


def test_retry_initial_longer_than_retry_max_is_refused(tmp_path: Path) -> None:
    """The backoff starts at retry_initial and doubles up to retry_max: both are named."""
    problem = only_problem(config(tmp_path, notices={"retry_initial": "1h", "retry_max": "10m"}))
    assert "notices: retry_initial (1h) must not be longer than retry_max (10m)" in problem


def test_the_shortest_intervals_and_an_unthrottled_refresh_load(tmp_path: Path) -> None:
    """The minimums themselves load, and refresh_interval 0s (a draft follows every change)."""
    loaded = load_config(
        config(
            tmp_path,
            notices={
                "poll_interval": "100ms",
                "retry_initial": "1s",
                "retry_max": "1s",
                "refresh_interval": "0s",
            },
            evaluation={"stale_after": "1m"},
            correlation={"window": "1ms"},
        ),
        env={},
    )
    assert loaded.config.notices.refresh_interval.total_seconds() == 0


# ---- retention: keeping for ever is spelled 'never' -----------------------------------------


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_empty_retention_period_is_refused_not_read_as_never(
    tmp_path: Path, value: str | None
) -> None:
    """``alerts:`` (null) or blank once silently meant "keep for ever"."""
    problem = only_problem(config(tmp_path, retention={"alerts": value}))
    assert "retention.alerts: is empty: write 'never' to keep this kind for ever" in problem


def test_never_spelled_out_keeps_a_kind(tmp_path: Path) -> None:
    """'never' is the one spelling of keeping for ever."""
    loaded = load_config(config(tmp_path, retention={"alerts": "never"}), env={})
    assert loaded.config.retention.alerts is None


def test_an_empty_retention_override_is_refused(tmp_path: Path) -> None:
    """``BRIDGE_RETENTION__ALERTS=`` (empty, read as null) names the variable."""
    with pytest.raises(ConfigError) as info:
        load_config(config(tmp_path), env={"BRIDGE_RETENTION__ALERTS": ""})
    (problem,) = info.value.problems
    assert problem.startswith("environment BRIDGE_RETENTION__ALERTS: retention.alerts: is empty")


# ---- files that are not UTF-8 ---------------------------------------------------------------

LATIN1_NAME = "# Exempel Nät AB\n".encode("latin-1")  # ä is 0xe4 in Latin-1, at offset 11


def test_a_config_file_that_is_not_utf8_names_the_file_and_the_byte(tmp_path: Path) -> None:
    """A Latin-1 byte in bridge.yaml was a UnicodeDecodeError traceback."""
    path = config(tmp_path)
    path.write_bytes(LATIN1_NAME + path.read_bytes())
    problem = only_problem(path)
    assert (
        problem
        == f"{path}: not UTF-8 text: byte 0xe4 at offset 11 (line 1); save the file as UTF-8"
    )


def test_a_rule_set_that_is_not_utf8_names_its_file(tmp_path: Path) -> None:
    """So does a Latin-1 byte in a rule set, naming the rule set's file."""
    rules = rules_with(tmp_path, "nkom-varsel", lambda data: None)
    file = rules / "nkom-varsel.yaml"
    file.write_bytes(b"\n\n" + LATIN1_NAME + file.read_bytes())
    problem = only_problem(config(tmp_path, rules_dir=str(rules)))
    assert (
        problem
        == f"{file}: not UTF-8 text: byte 0xe4 at offset 13 (line 3); save the file as UTF-8"
    )


@pytest.mark.parametrize(
    ("name", "data", "offset", "line"),
    [
        ("inventory.csv", "id,parent,jurisdiction,region\nåsa,,SE,R1\n", 30, 2),
        ("inventory.yaml", "elements:\n- {id: å, jurisdiction: SE, region: R}\n", 17, 2),
    ],
)
def test_an_inventory_that_is_not_utf8_names_the_file_and_the_byte(
    tmp_path: Path, name: str, data: str, offset: int, line: int
) -> None:
    """A Latin-1 inventory (CSV or YAML; with a UTF-8 byte-order mark before it or not)."""
    from bridge.config.inventory import load_inventory

    for bom in (b"", b"\xef\xbb\xbf"):
        path = tmp_path / name
        path.write_bytes(bom + data.encode("latin-1"))
        with pytest.raises(ConfigError) as info:
            load_inventory(path)
        assert info.value.problems == [
            f"{path}: not UTF-8 text: byte 0xe5 at offset {offset + len(bom)} (line {line}); "
            "save the file as UTF-8"
        ]
        path.write_bytes(bom + data.encode("utf-8"))
        assert len(load_inventory(path)) == 1


# ---- server.listen --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listen", "why"),
    [
        (":8080", "no host; to listen on every interface say so with 0.0.0.0:PORT"),
        ("bad host:80", "'bad host' is not a host name or address"),
        ("::1:8080", "an IPv6 address goes in brackets"),
        ("[::zz]:8080", "expected [IPv6 address]:PORT"),
        ("-h:8080", "'-h' is not a host name or address"),
    ],
)
def test_a_listen_address_of_the_wrong_shape_is_refused(
    tmp_path: Path, listen: str, why: str
) -> None:
    """An empty host (every interface, silently) or one no resolver could take is refused."""
    problem = only_problem(config(tmp_path, server={"listen": listen}))
    assert f"server.listen: expected HOST:PORT, got {listen!r}" in problem or (
        f"server.listen: expected [IPv6 address]:PORT, got {listen!r}" in problem
    )
    assert why in problem


@pytest.mark.parametrize(
    "listen",
    ["0.0.0.0:8080", "[::]:8080", "[::1]:8080", "localhost:8080", "bridge-1.example.net:80"],
)
def test_a_listen_address_of_the_right_shape_loads(tmp_path: Path, listen: str) -> None:
    server = load_config(config(tmp_path, server={"listen": listen}), env={}).config.server
    assert server.port in (80, 8080)


# ---- store URL, SMTP relay, public URL ------------------------------------------------------


@pytest.mark.parametrize(
    ("store", "why"),
    [
        ("redis://", "no host after redis://"),  # redis-py would use a local Redis
        ("redis:///0", "no host after redis://"),
        ("redis://h:notaport/0", "the port must be a number from 1 to 65535"),
        ("redis://h:70000/0", "the port must be a number from 1 to 65535"),
        ("redis://h/db", "the database after the host must be a number"),
        (
            "redis://h/0?bogus=1&prefix=x:",
            "unknown parameter(s) 'bogus' (known: check_interval_ms, client_name, ",
        ),
        ("sqlite:///", "no database file after sqlite:///"),
        ("sqlite:///x.db?bogus=1", "unknown parameter(s) 'bogus' (known: busy_timeout_ms)"),
        ("sqlite:///x.db?busy_timeout_ms=soon", "busy_timeout_ms: expected a whole number"),
        (
            "sqlite:///x.db?busy_timeout_ms=5001",
            "busy_timeout_ms: expected a whole number of milliseconds from 0 to 5000, not '5001'",
        ),
        (
            "sqlite:///x.db?busy_timeout_ms=600000",
            "busy_timeout_ms: expected a whole number of milliseconds from 0 to 5000, not '600000'",
        ),
    ],
)
def test_a_store_url_of_the_wrong_shape_is_refused(tmp_path: Path, store: str, why: str) -> None:
    problem = only_problem(write_config(tmp_path, store=store))
    assert (
        f"store: {'' if 'parameter' in why or why.startswith('busy') else 'expected '}" in problem
    )
    assert why in problem


def test_a_store_url_problem_never_prints_its_password(tmp_path: Path) -> None:
    """The long form too (store.url); the password is shown as <secret>."""
    path = config(tmp_path, store={"url": "redis://:hunter2@redis.example:notaport/0"})
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    problems = "\n".join(info.value.problems)  # with the union's "store.str: …" beside it
    assert "store.url: expected sqlite:///PATH or redis://HOST:PORT/DB: the port" in problems
    assert "hunter2" not in problems and "redis://<secret>@redis.example" in problems
    with pytest.raises(ConfigError) as info:
        load_config(config(tmp_path), env={"BRIDGE_STORE": "redis://u:hunter2@/0"})
    (problem,) = info.value.problems
    assert problem.startswith("environment BRIDGE_STORE: store: expected sqlite:///PATH or")
    assert "hunter2" not in problem


@pytest.mark.parametrize(
    "store",
    [
        "redis://:pw@redis.example:6380/2?prefix=nb:&wait_replicas=1&socket_timeout=1",
        "rediss://redis.example",
        "redis://[::1]:6379/0",
        "sqlite:///data/bridge.sqlite3?busy_timeout_ms=100",
        "sqlite:///data/bridge.sqlite3?busy_timeout_ms=0",
        "sqlite:///data/bridge.sqlite3?busy_timeout_ms=5000",
    ],
)
def test_a_store_url_of_the_right_shape_loads(tmp_path: Path, store: str) -> None:
    assert load_config(write_config(tmp_path, store=store), env={}).config.store == store


@pytest.mark.parametrize(
    ("smtp", "problem"),
    [
        ({"port": -1}, "smtp.port: expected a port from 1 to 65535 (got -1)"),
        ({"port": 70000}, "smtp.port: expected a port from 1 to 65535 (got 70000)"),
        ({"port": 0}, "smtp.port: expected a port from 1 to 65535 (got 0)"),
        ({"host": ""}, "smtp.host: expected a host name or an IP address, got ''"),
        ({"host": "relay example"}, "smtp.host: expected a host name or an IP address"),
        ({"ca_file": "nope.pem"}, "smtp.ca_file: cannot read the CA file "),
    ],
)
def test_a_bad_smtp_value_is_refused(tmp_path: Path, smtp: dict[str, Any], problem: str) -> None:
    found = only_problem(config(tmp_path, smtp={"host": "relay.example.net", **smtp}))
    assert problem in found
    if "ca_file" in smtp:  # named as resolved against the config's folder
        assert f"{tmp_path / 'nope.pem'}: No such file or directory" in found


def test_an_smtp_ca_file_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    """A folder given as the CA file fails at load, not at the first notice."""
    (tmp_path / "ca").mkdir()
    found = only_problem(config(tmp_path, smtp={"ca_file": "ca"}))
    assert f"smtp.ca_file: cannot read the CA file {tmp_path / 'ca'}: Is a directory" in found


def test_a_readable_smtp_ca_file_and_an_ip_relay_load(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    smtp = {"host": "::1", "port": 465, "security": "tls", "ca_file": "ca.pem"}
    loaded = load_config(config(tmp_path, smtp=smtp), env={})
    assert loaded.config.smtp is not None
    assert loaded.config.smtp.ca_file == tmp_path / "ca.pem"


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://bridge.example", "http://", "https://bridge.example:99999", "/x"]
)
def test_a_public_url_that_is_not_an_http_url_is_refused(tmp_path: Path, url: str) -> None:
    problem = only_problem(config(tmp_path, server={"public_url": url}))
    assert f"server.public_url: expected an http:// or https:// URL with a host, got {url!r}" in (
        problem
    )


def test_an_http_public_url_loads(tmp_path: Path) -> None:
    url = "https://bridge.example.net:8443/incidents"
    assert (
        load_config(config(tmp_path, server={"public_url": url}), env={}).config.server.public_url
        == url
    )
