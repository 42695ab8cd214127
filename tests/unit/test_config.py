"""bridge.yaml: strict loading, one fixture per validation rule, env overrides, secrets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bridge.config import Secret, load_config
from bridge.core.alerts import WebhookLimits
from bridge.core.durations import parse_duration
from bridge.errors import ConfigError
from bridge.notices.senders import sender

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data" / "config"
SHIPPED = REPO / "config" / "bridge.yaml"

# The text of every secret in tests/data/config/secrets/.
FILE_SECRETS = (
    "webhook-secret-from-file-1f3a",
    "basic-secret-from-file-77c2",
    "api-secret-from-file-9d0e",
    "smtp-secret-from-file-4b81",
)


def problems_of(fixture: str, env: dict[str, str] | None = None) -> list[str]:
    """Load a fixture that must fail; return its problems after checking each names the file."""
    path = DATA / fixture
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env or {})
    assert info.value.problems, "ConfigError without problems"
    for problem in info.value.problems:
        assert str(path) in problem, f"problem does not name the file: {problem}"
    return info.value.problems


def only_problem(fixture: str) -> str:
    found = problems_of(fixture)
    assert len(found) == 1, found
    return found[0]


# ---- one test per validation rule ---------------------------------------------------------


def test_unknown_key() -> None:
    """An unknown key fails and the message names its full key path."""
    problem = only_problem("unknown_key.yaml")
    assert "correlation.quiet_periode: unknown key" in problem


def test_bad_duration() -> None:
    """A duration that is not like '30s' or '1h30m' names the key and the expected form."""
    problem = only_problem("bad_duration.yaml")
    assert "correlation.quiet_period:" in problem
    assert "expected a duration like" in problem
    assert "'soon'" in problem


def test_wrong_type() -> None:
    """A value of the wrong type names the key and the type expected."""
    problem = only_problem("wrong_type.yaml")
    assert "server.max_body_bytes:" in problem
    assert "valid integer" in problem
    assert "'lots'" in problem


def test_body_limit_too_small() -> None:
    """server.max_body_bytes must be above 1024 bytes."""
    problem = only_problem("body_limit_too_small.yaml")
    assert "server.max_body_bytes:" in problem
    assert "greater than 1024" in problem


def test_limit_not_positive() -> None:
    """Every server.limits count and length must be at least 1."""
    problem = only_problem("limit_not_positive.yaml")
    assert "server.limits.alerts_per_webhook:" in problem
    assert "greater than or equal to 1" in problem


def test_non_positive_timestamp_window() -> None:
    """The plausible window of alert timestamps must be longer than zero."""
    problem = only_problem("non_positive_timestamp_window.yaml")
    assert "server.limits.timestamps_future:" in problem
    assert "longer than 0s" in problem


def test_unknown_limit() -> None:
    """An unknown key under server.limits fails naming its full key path."""
    problem = only_problem("unknown_limit.yaml")
    assert "server.limits.alerts_per_hook: unknown key" in problem


def test_limits_take_defaults() -> None:
    """Without server.limits the webhook limits are the core's defaults."""
    cfg = load_config(DATA / "minimal.yaml", env={}).config
    assert cfg.server.limits.webhook() == WebhookLimits()
    assert cfg.server.limits.alerts_per_webhook == 2000


def test_non_positive_interval() -> None:
    """evaluation.interval must be longer than zero."""
    problem = only_problem("non_positive_interval.yaml")
    assert "evaluation.interval:" in problem
    assert "longer than 0s" in problem


def test_short_retention_period() -> None:
    """A retention period is 'never' or a duration of at least one day."""
    problem = only_problem("short_retention.yaml")
    assert "retention.alerts:" in problem
    assert "at least 1d" in problem and "'3h'" in problem


def test_retention_period_shorter_than_memory_horizon() -> None:
    """A period of a kind memory holds shorter than evaluation.memory_horizon is refused, naming
    the key and the bound (else the store prunes incidents the API still lists from memory)."""
    problem = only_problem("retention_within_memory.yaml")
    assert problem.startswith(f"{DATA / 'retention_within_memory.yaml'}: retention.incidents: 1d ")
    assert "shorter than evaluation.memory_horizon (7d)" in problem
    assert "at least 7d" in problem
    env = {"BRIDGE_EVALUATION__MEMORY_HORIZON": "1d"}
    cfg = load_config(DATA / "retention_within_memory.yaml", env=env).config
    assert cfg.retention.incidents == timedelta(days=1)


def test_audit_is_never_pruned() -> None:
    """retention.audit takes only 'never': the audit log is not pruned."""
    problem = only_problem("audit_retention.yaml")
    assert "retention.audit:" in problem
    assert "never pruned" in problem


def test_retention_defaults_and_never() -> None:
    """Without a retention section every period has its default; 'never' keeps a kind."""
    cfg = load_config(DATA / "minimal.yaml", env={}).config.retention
    assert cfg.periods().alerts == timedelta(days=400)
    assert cfg.audit == "never" and cfg.privacy_register == "never"
    env = {"BRIDGE_RETENTION__NOTICES": "never"}
    assert load_config(DATA / "minimal.yaml", env=env).config.retention.notices is None


def test_bad_listen() -> None:
    """server.listen without a port names the key and HOST:PORT."""
    problem = only_problem("bad_listen.yaml")
    assert "server.listen:" in problem
    assert "HOST:PORT" in problem
    assert "'localhost'" in problem


def test_bad_store_url() -> None:
    """A store URL that is neither sqlite:/// nor redis:// names both accepted forms."""
    problem = only_problem("bad_store_url.yaml")
    assert "store:" in problem
    assert "sqlite:///" in problem and "redis://" in problem
    assert "postgres://db.example/bridge" in problem


def test_bad_log_level() -> None:
    """log_level outside debug/info/warning/error lists the accepted levels."""
    problem = only_problem("bad_log_level.yaml")
    assert "log_level:" in problem
    assert "'debug'" in problem and "'error'" in problem
    assert "'verbose'" in problem


def test_bad_log_format() -> None:
    """log_format outside text/json lists the accepted formats."""
    problem = only_problem("bad_log_format.yaml")
    assert "log_format:" in problem
    assert "'text'" in problem and "'json'" in problem and "'syslog'" in problem


def test_bad_alertmanager_url() -> None:
    """alertmanager.url must be an http:// or https:// URL (the console links silences there)."""
    problem = only_problem("bad_alertmanager_url.yaml")
    assert "alertmanager.url:" in problem and "http:// or https://" in problem


def test_bad_smtp_security() -> None:
    """smtp.security outside none/starttls/tls lists the accepted values."""
    problem = only_problem("bad_smtp_security.yaml")
    assert "smtp.security:" in problem
    assert "'starttls'" in problem
    assert "'ssl'" in problem


def test_service_without_nb_name() -> None:
    """A service display name missing a notice language names the key and the language."""
    problem = only_problem("service_without_nb_name.yaml")
    assert "services.internet.nb:" in problem


def test_unknown_contact_track() -> None:
    """A contact track other than outage, privacy, subscriber names the unknown key."""
    problem = only_problem("unknown_contact_track.yaml")
    assert "operator.contacts.sales: unknown key" in problem


def test_bad_verification_language() -> None:
    """The subscriber channel's verification sentence is keyed by sv or nb only."""
    problem = only_problem("bad_verification_language.yaml")
    assert "operator.contacts.subscriber.verification" in problem
    assert "'en'" in problem


def test_only_operator_contact_signs_every_track() -> None:
    """An older config with only operator.contact loads; that contact signs every track."""
    cfg = load_config(DATA / "only_operator_contact.yaml", env={}).config
    who = sender(cfg.operator)
    for track in ("outage", "privacy", "subscriber"):
        assert who.contact(track).name == "NOC duty officer"
        assert who.contact(track).email == "noc@example.net"


def test_shipped_config_names_a_contact_per_track_and_services() -> None:
    """The example config has its own outage, privacy and subscriber contacts and names services."""
    cfg = load_config(SHIPPED, env={}).config
    who = sender(cfg.operator)
    names = {who.contact(t).name for t in ("outage", "privacy", "subscriber")}
    assert len(names) == 3
    assert who.contact("subscriber").verification["sv"]
    assert cfg.services["internet"].nb == "Bredbånd"


def test_bad_default_jurisdiction() -> None:
    """inventory.default_jurisdiction must be SE or NO."""
    problem = only_problem("bad_default_jurisdiction.yaml")
    assert "inventory.default_jurisdiction:" in problem
    assert "'SE' or 'NO'" in problem
    assert "'DK'" in problem


def test_no_element_labels() -> None:
    """inventory.labels.element needs at least one label name."""
    problem = only_problem("no_element_labels.yaml")
    assert "inventory.labels.element:" in problem
    assert "at least 1 item" in problem


def test_token_and_token_file() -> None:
    """Giving a secret both inline and as *_file is refused, naming both keys."""
    problem = only_problem("token_and_token_file.yaml")
    assert "auth.webhook.tokens.0:" in problem
    assert "either token or token_file" in problem
    assert "inline-token" not in problem


def test_unreadable_token_file() -> None:
    """A *_file secret that cannot be read names the key and the resolved path."""
    problem = only_problem("unreadable_token_file.yaml")
    assert "auth.webhook.tokens.0: token_file:" in problem
    assert str(DATA / "secrets" / "no-such.token") in problem


def test_missing_token() -> None:
    """A webhook token without token or token_file names the missing key."""
    problem = only_problem("missing_token.yaml")
    assert "auth.webhook.tokens.0.token:" in problem
    assert "required" in problem


def test_bad_role() -> None:
    """An unknown API-token role names the key and the known roles, never the token."""
    problem = only_problem("bad_role.yaml")
    assert "auth.api_tokens.0.roles.0:" in problem
    assert "unknown role 'superuser'" in problem
    assert "viewer, editor, approver, admin, auditor" in problem
    assert "api-token-for-bad-role" not in problem


def test_bad_track() -> None:
    """An unknown track in role:track names the key and the known tracks."""
    problem = only_problem("bad_track.yaml")
    assert "auth.api_tokens.0.roles.0:" in problem
    assert "unknown track 'finance'" in problem
    assert "outage, privacy, all" in problem


def test_no_roles() -> None:
    """An API token needs at least one role."""
    problem = only_problem("no_roles.yaml")
    assert "auth.api_tokens.0.roles:" in problem
    assert "at least 1 item" in problem


def test_missing_rule_set_key() -> None:
    """A regulator without rule_set names the missing key."""
    problem = only_problem("missing_rule_set_key.yaml")
    assert "regulators.pts.rule_set:" in problem
    assert "required" in problem


def test_unknown_rule_set() -> None:
    """A regulator referring to a rule set not in rules_dir lists the known ones."""
    problem = only_problem("unknown_rule_set.yaml")
    assert "regulators.pts.rule_set:" in problem
    assert "unknown rule set 'pts-outages'" in problem
    assert "enisa-matrix, nkom-varsel, pts-outage" in problem


def test_missing_rules_dir() -> None:
    """A rules_dir that is not a folder names the key and the resolved path."""
    problem = only_problem("missing_rules_dir.yaml")
    assert "rules_dir:" in problem
    assert "expected a folder" in problem
    assert str(DATA / "no-such-rules") in problem


def test_rule_set_problem() -> None:
    """A problem in a rule set of rules_dir makes the configuration invalid, naming that file."""
    with pytest.raises(ConfigError) as info:
        load_config(DATA / "rule_set_problem.yaml", env={})
    (problem,) = info.value.problems
    assert "second.yaml: id: 'test-same-id' is also used by" in problem
    assert "first.yaml" in problem


def test_missing_inventory() -> None:
    """An inventory.path that does not exist names the key and the resolved path."""
    problem = only_problem("missing_inventory.yaml")
    assert "inventory.path:" in problem
    assert "file not found" in problem
    assert str(DATA / "no-such-inventory.yaml") in problem


def test_not_a_mapping() -> None:
    """A file whose top level is not a mapping says a mapping was expected."""
    assert "expected a mapping at the top level" in only_problem("not_a_mapping.yaml")


def test_invalid_yaml() -> None:
    """A YAML syntax error says so and where."""
    problem = only_problem("invalid_yaml.yaml")
    assert "not valid YAML" in problem
    assert "line 2" in problem


def test_missing_file() -> None:
    """A config file that does not exist names the file."""
    problem = only_problem("no-such-config.yaml")
    assert "cannot read" in problem


def test_every_problem_is_listed_at_once() -> None:
    """Several problems in one file are all reported, not only the first."""
    found = problems_of("several_problems.yaml")
    joined = "\n".join(found)
    assert len(found) == 3
    assert "server.listen:" in joined
    assert "correlation.quiet_periode: unknown key" in joined
    assert "evaluation.interval:" in joined


# ---- valid configurations -----------------------------------------------------------------


def test_shipped_config_loads() -> None:
    """The shipped config/bridge.yaml is valid and resolves paths against its own folder."""
    loaded = load_config(SHIPPED, env={})
    cfg = loaded.config
    assert set(cfg.regulators) == {"pts", "nkom", "csirt", "enisa"}
    assert cfg.regulators["csirt"].channel == "portal"
    assert {rs.id for rs in loaded.enabled_rule_sets()} == {
        "pts-outage",
        "nkom-varsel",
        "se-cyber",
        "enisa-matrix",
    }
    assert cfg.rules_dir == REPO / "config" / "rules"
    assert cfg.inventory.path == REPO / "config" / "inventory.yaml"
    assert cfg.correlation.quiet_period == timedelta(minutes=30)
    assert cfg.auth.webhook.tokens[0].token.get() == "dev-only-webhook-token-change-me"
    assert loaded.store_url() == f"sqlite:///{REPO / 'data' / 'bridge.sqlite3'}"


def test_minimal_config_takes_defaults() -> None:
    """A config with only rules_dir loads with documented defaults."""
    cfg = load_config(DATA / "minimal.yaml", env={}).config
    assert cfg.server.listen == "127.0.0.1:8080"
    assert cfg.store == "sqlite:///bridge.sqlite3"
    assert cfg.evaluation.interval == timedelta(seconds=15)
    assert cfg.regulators == {}
    assert cfg.smtp is None


# ---- environment overrides ----------------------------------------------------------------


def test_env_overrides_apply() -> None:
    """BRIDGE_SECTION__KEY variables override the file, values parsed as YAML."""
    env = {
        "BRIDGE_SERVER__LISTEN": "0.0.0.0:9090",
        # beyond loopback the example's dev-only-… tokens are refused: the operator's own
        "BRIDGE_AUTH": "{webhook: {tokens: [{name: am, token: own-webhook-token-4f9c}]}}",
        "BRIDGE_EVALUATION__INTERVAL": "5s",
        "BRIDGE_REGULATORS__ENISA__ENABLED": "false",
        "BRIDGE_STORE": "redis://redis.example:6379/0",
        "BRIDGE_CONFIG": "ignored.yaml",
        "PATH": "/usr/bin",
    }
    loaded = load_config(SHIPPED, env=env)
    cfg = loaded.config
    assert cfg.server.listen == "0.0.0.0:9090"
    assert cfg.server.port == 9090
    assert cfg.evaluation.interval == timedelta(seconds=5)
    assert cfg.regulators["enisa"].enabled is False
    assert {rs.id for rs in loaded.enabled_rule_sets()} == {"pts-outage", "nkom-varsel", "se-cyber"}
    assert loaded.store_url() == "redis://redis.example:6379/0"
    assert cfg.server.public_url == "http://127.0.0.1:8080"


def test_env_override_with_bad_value_names_the_key() -> None:
    """A bad value from the environment fails like one from the file, naming the key and the
    variable (not the file, which does not hold it)."""
    with pytest.raises(ConfigError) as info:
        load_config(SHIPPED, env={"BRIDGE_EVALUATION__INTERVAL": "soon"})
    (problem,) = info.value.problems
    assert problem.startswith("environment BRIDGE_EVALUATION__INTERVAL: evaluation.interval:")
    assert str(SHIPPED) not in problem
    assert "expected a duration" in problem


def test_env_override_with_unknown_key_names_the_key() -> None:
    """A misspelt environment override is an unknown key, not silently ignored; the error names
    the environment variable, not the file."""
    with pytest.raises(ConfigError) as info:
        load_config(SHIPPED, env={"BRIDGE_SERVER__LISTENS": "0.0.0.0:9090"})
    (problem,) = info.value.problems
    assert problem == "environment BRIDGE_SERVER__LISTENS: server.listens: unknown key"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"BRIDGE_EVALUATON__INTERVAL": "5s"},
            ["environment BRIDGE_EVALUATON__INTERVAL: evaluaton: unknown key"],
        ),
        (
            {"BRIDGE_SEVRER__TLS__CERT": "x"},
            ["environment BRIDGE_SEVRER__TLS__CERT: sevrer: unknown key"],
        ),
        (
            {"BRIDGE_EVALUATON__INTERVAL": "5s", "BRIDGE_EVALUATON__STALE_AFTER": "1h"},
            [
                "environment BRIDGE_EVALUATON__INTERVAL, BRIDGE_EVALUATON__STALE_AFTER: "
                "evaluaton: unknown key"
            ],
        ),
        (
            {"BRIDGE_SERVER__LIMTS__MAX_ALERTS": "5"},
            ["environment BRIDGE_SERVER__LIMTS__MAX_ALERTS: server.limts: unknown key"],
        ),
    ],
)
def test_env_override_with_a_misspelt_section_names_the_variable(
    env: dict[str, str], expected: list[str]
) -> None:
    """A misspelt section in a variable (``BRIDGE_EVALUATON__INTERVAL``) is an unknown key the
    variable made: named by it (them), not by the file, which never had that section."""
    with pytest.raises(ConfigError) as info:
        load_config(SHIPPED, env=env)
    assert info.value.problems == expected


def test_loaded_config_names_the_environment_overrides_it_applied() -> None:
    """The loaded configuration keeps which keys came from which BRIDGE_ variable (names only)."""
    env = {"BRIDGE_SERVER__LISTEN": "127.0.0.1:9090", "BRIDGE_CONFIG": "ignored.yaml"}
    loaded = load_config(SHIPPED, env=env)
    assert loaded.env_overrides == {("server", "listen"): "BRIDGE_SERVER__LISTEN"}


def test_env_override_into_a_value_is_refused() -> None:
    """An override that treats a plain value as a section names the variable."""
    with pytest.raises(ConfigError) as info:
        load_config(SHIPPED, env={"BRIDGE_STORE__PATH": "x"})
    (problem,) = info.value.problems
    assert "BRIDGE_STORE__PATH" in problem
    assert "store is not a section" in problem


# ---- secrets ------------------------------------------------------------------------------


def test_secret_files_are_read_relative_to_the_config() -> None:
    """*_file secrets are read from paths relative to the config file, not the working folder."""
    cfg = load_config(DATA / "secret_files.yaml", env={}).config
    assert cfg.auth.webhook.tokens[0].token.get() == "webhook-secret-from-file-1f3a"
    assert cfg.auth.webhook.basic[0].password.get() == "basic-secret-from-file-77c2"
    assert cfg.auth.api_tokens[0].token.get() == "api-secret-from-file-9d0e"
    assert cfg.auth.api_tokens[0].roles == ["viewer", "approver:outage"]
    assert cfg.smtp is not None and cfg.smtp.password is not None
    assert cfg.smtp.password.get() == "smtp-secret-from-file-4b81"


def test_secrets_never_print() -> None:
    """repr, str and model_dump of a config show secrets as <secret>, never their text."""
    cfg = load_config(DATA / "secret_files.yaml", env={}).config
    dumped = cfg.model_dump()
    secrets = [
        dumped["auth"]["webhook"]["tokens"][0]["token"],
        dumped["auth"]["webhook"]["basic"][0]["password"],
        dumped["auth"]["api_tokens"][0]["token"],
        dumped["smtp"]["password"],
    ]
    assert all(isinstance(s, Secret) and str(s) == repr(s) == "<secret>" for s in secrets)
    for rendering in (repr(cfg), str(cfg), str(dumped), cfg.model_dump_json()):
        assert "<secret>" in rendering
        for text in FILE_SECRETS:
            assert text not in rendering


def test_inline_secrets_never_print() -> None:
    """Secrets written inline in the shipped config print as <secret> too."""
    cfg = load_config(SHIPPED, env={}).config
    for rendering in (repr(cfg), str(cfg.model_dump()), cfg.model_dump_json()):
        assert "dev-only-webhook-token-change-me" not in rendering
        assert "dev-only-api-token-change-me" not in rendering


# ---- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("2d", timedelta(days=2)),
        ("0m", timedelta(0)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("250ms", timedelta(milliseconds=250)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    """Durations written as days, hours, minutes, seconds and milliseconds parse."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["soon", "1.5h", "", "   ", "30", "-5m", "1 h", "30m1h", None, 30])
def test_durations_reject(text: object) -> None:
    """Anything that is not a duration string, including empty and blank text, is rejected."""
    with pytest.raises(ValueError, match="expected a duration"):
        parse_duration(text)


def test_proxy_header_without_proxies() -> None:
    """A trusted proxy header without the proxies' addresses is refused, named."""
    problem = only_problem("proxy_header_without_proxies.yaml")
    assert "auth.session:" in problem and "trusted_proxies" in problem


def test_bad_session_timeout() -> None:
    """A session timeout of zero is refused, naming the key."""
    problem = only_problem("bad_session_timeout.yaml")
    assert "auth.session.idle_timeout: must be longer than 0s" in problem


def test_bad_step_up_window() -> None:
    """A step-up window longer than 15 minutes is refused, naming the key."""
    problem = only_problem("bad_step_up_window.yaml")
    assert "auth.session.step_up_window: " in problem and "15m" in problem


def test_bad_proxy_address() -> None:
    """A trusted proxy that is not an address or network names its position."""
    problem = only_problem("bad_proxy_address.yaml")
    assert "auth.session.trusted_proxies.0:" in problem


def test_session_defaults() -> None:
    """Sessions default to 30 min idle, 12 h absolute, Secure cookies, 5 failures → 15 min."""
    loaded = load_config(DATA / "minimal.yaml", env={})
    s = loaded.config.auth.session
    assert (s.idle_timeout, s.absolute_timeout) == (timedelta(minutes=30), timedelta(hours=12))
    assert s.cookie_secure and s.trusted_proxy_header is None
    assert (s.lockout.max_failures, s.lockout.lock_for) == (5, timedelta(minutes=15))


def test_privacy_rule_set_given_to_a_regulator() -> None:
    """An outage regulator cannot use a privacy rule set: named, with its track."""
    problem = only_problem("privacy_rule_set_for_outage.yaml")
    assert "regulators.pts.rule_set:" in problem
    assert "'pts-privacy' is a privacy rule set, expected an outage or a cyber one" in problem


def test_outage_rule_set_in_the_privacy_section() -> None:
    """privacy.rule_sets accepts privacy rule sets only, naming the position."""
    problem = only_problem("outage_rule_set_for_privacy.yaml")
    assert "privacy.rule_sets.1:" in problem and "'pts-outage'" in problem


def test_unknown_key_in_the_privacy_section() -> None:
    """A misspelt privacy key is an error naming it."""
    problem = only_problem("unknown_privacy_key.yaml")
    assert "privacy.alert_labels: unknown key" in problem


def test_privacy_track_is_off_without_its_section() -> None:
    """Without a privacy section no privacy rule set is used; the example config turns it on."""
    assert load_config(DATA / "minimal.yaml", env={}).privacy_rule_sets() == []
    example = load_config(Path(__file__).resolve().parents[2] / "config" / "bridge.yaml", env={})
    assert [rs.id for rs in example.privacy_rule_sets()] == ["pts-privacy", "nkom-privacy"]
