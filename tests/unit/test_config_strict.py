"""bridge.yaml refuses what is unsafe or meaningless, naming the key path: each rule through
:func:`load_config` on a changed copy of the shipped config/ (tests/builders.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import shipped_config

from bridge.config import LoadedConfig, load_config
from bridge.config.inventory import load_inventory
from bridge.errors import ConfigError

Mutate = Callable[[dict[str, Any], Path], object]


def loaded(tmp_path: Path, mutate: Mutate | None = None, **env: str) -> LoadedConfig:
    return load_config(shipped_config(tmp_path, mutate), env=env)


def problems(tmp_path: Path, mutate: Mutate | None = None, **env: str) -> list[str]:
    """The problems of a config that must fail, each checked to name the file or variable."""
    path = shipped_config(tmp_path, mutate)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    for problem in info.value.problems:
        assert problem.startswith((f"{path.parent}/", "environment BRIDGE_")), problem
    return [p.removeprefix(f"{path}: ") for p in info.value.problems]


def put(dotted: str, value: object) -> Mutate:
    """Set the value at a dotted key path (list items by index)."""

    def mutate(data: dict[str, Any], _folder: Path) -> None:
        *parents, last = dotted.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


# ---- secrets ------------------------------------------------------------------------------


def test_development_secrets_are_refused_beyond_loopback(tmp_path: Path) -> None:
    """The shipped dev-only-… tokens are published: on 0.0.0.0 each one is refused by key path;
    on loopback (127.0.0.0/8, ::1: the README's demo) they are accepted."""
    found = problems(tmp_path, put("server.listen", "0.0.0.0:8080"))
    assert [p.partition(": a development secret")[0] for p in found] == [
        "auth.webhook.tokens.0.token",
        "auth.api_tokens.0.token",
        "auth.api_tokens.1.token",
    ]
    assert "server.listen 0.0.0.0:8080 is reachable beyond this machine" in found[0]
    for listen in ("127.0.0.1:8080", "127.0.0.2:8080", "[::1]:8080"):
        assert loaded(tmp_path, put("server.listen", listen)).config.server.listen == listen


def test_development_secrets_are_refused_when_the_environment_opens_the_listener(
    tmp_path: Path,
) -> None:
    """A BRIDGE_SERVER__LISTEN override is the listener checked (containers set it)."""
    found = problems(tmp_path, BRIDGE_SERVER__LISTEN="0.0.0.0:8080")
    assert found[0].startswith("auth.webhook.tokens.0.token: a development secret")


def test_a_development_smtp_password_is_refused_beyond_loopback(tmp_path: Path) -> None:
    """Every secret counts, the SMTP relay's password too."""

    def mutate(data: dict[str, Any], _folder: Path) -> None:
        data["server"]["listen"] = "0.0.0.0:8080"
        data["auth"] = {"webhook": {"tokens": [{"name": "am", "token": "a" * 32}]}}
        data["smtp"] = {"username": "ib", "password": "dev-only-smtp-password"}

    found = problems(tmp_path, mutate)
    assert len(found) == 1 and found[0].startswith("smtp.password: a development secret")


PLACEHOLDER = "a placeholder secret (CHANGE-ME…, published with the example deploy files)"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("auth.webhook.tokens.0.token", "CHANGE-ME-webhook-token"),
        ("auth.api_tokens.1.token", "change-me-please-0123456789"),
        ("auth.webhook.basic", [{"username": "am", "password": "Change-Me-basic-password"}]),
        ("smtp", {"username": "ib", "password": "CHANGE-ME-smtp"}),
    ],
)
def test_placeholder_secrets_are_refused_even_on_loopback(
    tmp_path: Path, key: str, value: object
) -> None:
    """deploy/kubernetes/secret.yaml's CHANGE-ME-… placeholders are public: a secret starting
    so (any case) is refused by key path wherever the server listens; never printed."""
    (found,) = problems(tmp_path, put(key, value))
    named = {"auth.webhook.basic": "auth.webhook.basic.0.password", "smtp": "smtp.password"}
    assert found.startswith(f"{named.get(key, key)}: {PLACEHOLDER}")
    assert "openssl rand" in found
    assert "-webhook-token" not in found and "basic-password" not in found


@pytest.mark.parametrize(
    ("env", "mutate", "where"),
    [
        ({"BRIDGE_STORE": "redis://:CHANGE-ME-redis-password@redis:6379/0"}, None, "store"),
        ({"BRIDGE_STORE": "rediss://bridge:change-me%2Dx@redis:6379/0"}, None, "store"),
        ({}, put("store", {"url": "redis://:CHANGE-ME@redis:6379/0"}), "store.url"),
    ],
)
def test_a_placeholder_store_password_is_refused(
    tmp_path: Path, env: dict[str, str], mutate: Mutate | None, where: str
) -> None:
    """The Secret's store-url carries the same placeholder as the Redis password: refused
    naming the variable (or the key) and never printing the URL."""
    (found,) = problems(tmp_path, mutate, **env)
    origin = "environment BRIDGE_STORE: " if env else ""
    assert found.startswith(f"{origin}{where}: {PLACEHOLDER}")
    assert "redis://" not in found and "CHANGE-ME-redis" not in found


def test_secrets_merely_mentioning_change_me_load(tmp_path: Path) -> None:
    """Only the prefix is a placeholder: the example's dev tokens end in change-me and load on
    loopback, and so does a store password of one's own."""

    def mutate(data: dict[str, Any], _folder: Path) -> None:
        data["store"] = "redis://:s3cret-not-CHANGE-ME@redis:6379/0"

    cfg = loaded(tmp_path, mutate).config
    assert cfg.auth.webhook.tokens[0].token.get() == "dev-only-webhook-token-change-me"


TEMPLATE = "a secret that looks like an unexpanded placeholder"


@pytest.mark.parametrize(
    ("key", "value", "form"),
    [
        ("auth.api_tokens.0.token", "${NOC_API_TOKEN_VALUE}", "${…}"),
        ("auth.webhook.tokens.0.token", "Bearer-${WEBHOOK_TOKEN:-x}-0123", "${…}"),
        ("auth.webhook.tokens.0.token", "$NOC_WEBHOOK_TOKEN_1", "$VAR"),
        ("auth.webhook.tokens.0.token", "$(cat /run/secrets/token)", "$(…)"),
        ("auth.api_tokens.1.token", "{{ .Values.apiToken }}", "{{ … }}"),
        ("auth.api_tokens.1.token", "{{vault_bridge_api_token}}", "{{ … }}"),
        ("auth.api_tokens.1.token", "{% raw %}token{% endraw %}", "{% … %}"),
        ("auth.api_tokens.1.token", "<your-api-token-here>", "<…>"),
        ("auth.api_tokens.1.token", "#{Bridge.ApiToken}#-0123456", "#{…}"),
        ("auth.api_tokens.1.token", "%BRIDGE_API_TOKEN%", "%VAR%"),
        ("auth.api_tokens.1.token", "__BRIDGE_API_TOKEN__", "__VAR__"),
        ("auth.api_tokens.1.token", "@BRIDGE_API_TOKEN@", "@VAR@"),
        ("auth.webhook.basic", [{"username": "am", "password": "${AM_PASSWORD}xxxx"}], "${…}"),
        ("smtp", {"username": "ib", "password": "${SMTP_PASSWORD}"}, "${…}"),
    ],
)
def test_unexpanded_placeholders_are_refused_even_on_loopback(
    tmp_path: Path, key: str, value: object, form: str
) -> None:
    """bridge.yaml is read as written (no ``${VAR}`` substitution): a secret still holding a
    templating leftover would be a public, guessable secret (the audit's ``${…}`` token
    answered 200 on 0.0.0.0). Refused wherever the server listens, naming the key and the form,
    never the value."""
    (found,) = problems(tmp_path, put(key, value))
    named = {"auth.webhook.basic": "auth.webhook.basic.0.password", "smtp": "smtp.password"}
    assert found.startswith(f"{named.get(key, key)}: {TEMPLATE} ({form})"), found
    entry: Any = value[0] if isinstance(value, list) else value
    secret = entry if isinstance(entry, str) else entry["password"]
    assert secret not in found and "NOC_" not in found and "Values" not in found, found


def test_a_placeholder_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    """The audit's case, through a BRIDGE_ variable and on every interface: the variable is
    named, the value is not."""
    found = problems(
        tmp_path,
        put("server.listen", "127.0.0.1:8080"),
        BRIDGE_AUTH__API_TOKENS="[{name: noc, token: '${NOC_API_TOKEN_VALUE}', roles: [viewer]}]",
        BRIDGE_SERVER__LISTEN="0.0.0.0:18475",
    )
    refused = [p for p in found if TEMPLATE in p]
    assert refused == [
        f"environment BRIDGE_AUTH__API_TOKENS: auth.api_tokens.0.token: {TEMPLATE} (${{…}}): "
        "bridge.yaml is read as written, without substituting variables: put the secret "
        "itself there, in a token_file or password_file, or in a BRIDGE_… variable"
    ], found
    assert all("NOC_API_TOKEN_VALUE" not in p for p in found)


@pytest.mark.parametrize(
    "secret",
    [
        "p4$$w0rd-Of-My-Own-123",  # a $ in a password of one's own
        "$ecretPassw0rd-of-mine",  # not a variable name in capitals
        "Xy7<Q2p>Wv9{k}Lm#z%Q1",  # brackets and braces, not a placeholder's shape
        "abcdef0123456789abcdef",
    ],
)
def test_secrets_with_dollars_and_brackets_of_their_own_load(tmp_path: Path, secret: str) -> None:
    """Only a placeholder's shape is refused, not every ``$`` or ``<``."""
    cfg = loaded(tmp_path, put("auth.api_tokens.1.token", secret)).config
    assert cfg.auth.api_tokens[1].token.get() == secret


SHARED = "a" * 32


@pytest.mark.parametrize(
    ("webhook", "api", "expected"),
    [
        ([SHARED, SHARED], [], ["auth.webhook.tokens.1.token", "auth.webhook.tokens.0.token"]),
        ([], [SHARED, "b" * 32, SHARED], ["auth.api_tokens.2.token", "auth.api_tokens.0.token"]),
        ([SHARED], ["b" * 32, SHARED], ["auth.api_tokens.1.token", "auth.webhook.tokens.0.token"]),
    ],
    ids=["two-webhook-tokens", "two-api-tokens", "api-token-equal-to-webhook-token"],
)
def test_a_token_shared_by_two_entries_is_refused_naming_both(
    tmp_path: Path, webhook: list[str], api: list[str], expected: list[str]
) -> None:
    """A shared secret would authenticate as whichever entry comes first (roles, audit name):
    the later entry is refused naming the earlier; the secret is never printed."""

    def mutate(data: dict[str, Any], _folder: Path) -> None:
        data["auth"]["webhook"]["tokens"] = [
            {"name": f"am{i}", "token": t} for i, t in enumerate(webhook)
        ]
        data["auth"]["api_tokens"] = [
            {"name": f"api{i}", "token": t, "roles": ["viewer"]} for i, t in enumerate(api)
        ]

    (found,) = problems(tmp_path, mutate)
    later, earlier = expected
    assert found.startswith(f"{later}: the same secret as {earlier}: a token names one caller")
    assert SHARED not in found


@pytest.mark.parametrize(
    ("section", "entries", "expected"),
    [
        (
            "webhook.tokens",
            [{"name": "am", "token": "a" * 32}, {"name": "am", "token": "b" * 32}],
            "auth.webhook.tokens.1.name: 'am' is the name of auth.webhook.tokens.0 too",
        ),
        (
            "webhook.basic",
            [{"username": "am", "password": "a" * 32}, {"username": "am", "password": "b" * 32}],
            "auth.webhook.basic.1.username: 'am' is the username of auth.webhook.basic.0 too",
        ),
        (
            "api_tokens",
            [
                {"name": "ci", "token": "a" * 32, "roles": ["viewer"]},
                {"name": "ci", "token": "b" * 32, "roles": ["admin"]},
            ],
            "auth.api_tokens.1.name: 'ci' is the name of auth.api_tokens.0 too",
        ),
    ],
    ids=["webhook-tokens", "basic-users", "api-tokens"],
)
def test_two_credentials_under_one_name_are_refused_naming_both(
    tmp_path: Path, section: str, entries: list[dict[str, Any]], expected: str
) -> None:
    """The audit names a caller by its credential's name (``token:ci``): two under one name, with
    different secrets and roles, could not be told apart afterwards."""
    found = problems(tmp_path, put(f"auth.{section}", entries))
    assert [p for p in found if "give each its own" in p and expected in p], found


def test_a_token_shared_through_the_environment_names_the_variable(tmp_path: Path) -> None:
    """The duplicate set by a BRIDGE_… variable is named by the variable."""
    token = "dev-only-webhook-token-change-me"  # the shipped webhook token
    (found,) = problems(
        tmp_path, BRIDGE_AUTH__API_TOKENS=f"[{{name: x, token: {token}, roles: [viewer]}}]"
    )
    assert found.startswith(
        "environment BRIDGE_AUTH__API_TOKENS: auth.api_tokens.0.token: the same secret as "
        "auth.webhook.tokens.0.token"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("auth.webhook.tokens.0.token", "short-token"),
        ("auth.webhook.tokens.0.token", ""),
        ("auth.api_tokens.0.token", "fifteen-chars-x"),
    ],
)
def test_short_secrets_are_refused(tmp_path: Path, key: str, value: str) -> None:
    """A token shorter than 16 characters can be guessed by trying: refused by key path."""
    (found,) = problems(tmp_path, put(key, value))
    assert found.startswith(f"{key}: must be at least 16 characters (got {len(value)})")
    assert value not in found.partition("(got")[0] or not value


def test_an_empty_basic_password_is_refused(tmp_path: Path) -> None:
    """An empty basic-auth password would let a caller in with just ``am:``."""
    (found,) = problems(tmp_path, put("auth.webhook.basic", [{"username": "am", "password": ""}]))
    assert found.startswith("auth.webhook.basic.0.password: must be at least 16 characters")


def test_a_blank_token_file_is_refused(tmp_path: Path) -> None:
    """A token_file holding only white space is an empty secret: refused naming the key."""

    def mutate(data: dict[str, Any], folder: Path) -> None:
        (folder / "webhook.token").write_text("  \n", encoding="utf-8")
        data["auth"]["webhook"]["tokens"] = [{"name": "am", "token_file": "webhook.token"}]

    (found,) = problems(tmp_path, mutate)
    assert found.startswith("auth.webhook.tokens.0: token_file: ")
    assert "webhook.token is empty" in found


def test_a_blank_smtp_password_is_refused(tmp_path: Path) -> None:
    """An SMTP password, when given, is not blank (the relay chose it: no length asked)."""
    (found,) = problems(tmp_path, put("smtp", {"username": "ib", "password": " "}))
    assert found.startswith("smtp.password: must not be empty")
    assert loaded(tmp_path, put("smtp", {"username": "ib", "password": "pw"})).config.smtp


# ---- lockout ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["lock_for", "address_window"])
def test_a_lockout_of_zero_is_refused(tmp_path: Path, key: str) -> None:
    """``0s`` would switch the lockout (or the per-address throttle) off while looking set."""
    (found,) = problems(tmp_path, put(f"auth.session.lockout.{key}", "0s"))
    assert found.startswith(f"auth.session.lockout.{key}: must be longer than 0s")


# ---- e-mail addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("regulators.pts.recipient", "incidentrapport at pts", "'incidentrapport at pts' is not"),
        ("regulators.pts.recipient", 5, "'5' is not an e-mail address"),
        ("regulators.pts.recipient", "", "expected an e-mail address"),
        ("smtp.sender", "noc reports", "'noc reports' is not an e-mail address"),
        ("privacy.recipients.pts", "dpo at pts", "'dpo at pts' is not an e-mail address"),
        ("privacy.subscriber_notice_recipient", "nope", "'nope' is not an e-mail address"),
        ("operator.contact.email", "noc", "'noc' is not an e-mail address"),
        ("operator.contacts.privacy.email", "dpo@", "'dpo@' is not an e-mail address"),
        ("operator.jurisdictions.NO.reply_to", "noc", "'noc' is not an e-mail address"),
    ],
)
def test_e_mail_addresses_are_checked(tmp_path: Path, key: str, value: object, says: str) -> None:
    """Every address of the config is an e-mail address (syntax only, no DNS look-up), checked
    with the recipient field's check (bridge/core/addresses.py)."""
    (found,) = problems(tmp_path, put(key, value))
    assert found.startswith(f"{key}: {says}"), found


def test_each_of_several_recipients_is_checked(tmp_path: Path) -> None:
    """Several recipients comma-separated are each checked; when all are addresses they load,
    as does an empty contact e-mail (none)."""
    (found,) = problems(tmp_path, put("regulators.pts.recipient", "incidentrapport@pts.se, noc"))
    assert found.startswith("regulators.pts.recipient: 'noc' is not an e-mail address")

    def mutate(data: dict[str, Any], _folder: Path) -> None:
        data["regulators"]["pts"]["recipient"] = "incidentrapport@pts.se, noc@example.net"
        data["operator"]["contacts"]["outage"]["email"] = ""
        data["smtp"] = {"sender": "noc-reports@example.net"}

    cfg = loaded(tmp_path, mutate).config
    assert cfg.regulators["pts"].recipient == "incidentrapport@pts.se, noc@example.net"


# ---- regulator keys and channels ----------------------------------------------------------


def test_a_regulator_under_another_name_is_refused(tmp_path: Path) -> None:
    """Drafting finds PTS's recipient under ``pts``: renamed, its notices would have none."""

    def mutate(data: dict[str, Any], _folder: Path) -> None:
        data["regulators"]["sweden"] = data["regulators"].pop("pts")

    (found,) = problems(tmp_path, mutate)
    assert found.startswith(
        "regulators.sweden: expected the key 'pts', the regulator of rule set pts-outage"
    )
    assert "known regulators: csirt, enisa, nkom, pts" in found


def test_a_privacy_recipient_of_no_privacy_regulator_is_refused(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, put("privacy.recipients", {"sweden": "dpo@example.net"}))
    assert found.startswith("privacy.recipients.sweden: not the regulator of a privacy rule set")
    assert "expected one of nkom, pts" in found


def test_a_channel_for_another_regulators_report_is_refused(tmp_path: Path) -> None:
    """ENISA's entry may not move the CSIRT's final report off the portal."""
    (found,) = problems(tmp_path, put("regulators.enisa.channels", {"se_cyber_final": "email"}))
    assert found.startswith(
        "regulators.enisa.channels.se_cyber_final: not a report kind of rule set enisa-matrix "
        "(its kinds: none)"
    )
    ok = loaded(tmp_path, put("regulators.pts.channels", {"pts_initial": "portal"}))
    assert ok.config.regulators["pts"].channels == {"pts_initial": "portal"}


# ---- inventory ----------------------------------------------------------------------------


def inventory_problems(path: Path, text: str) -> list[str]:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_inventory(path)
    assert all(p.startswith(f"{path}: ") for p in info.value.problems), info.value.problems
    return [p.removeprefix(f"{path}: ") for p in info.value.problems]


def test_a_repeated_inventory_column_is_refused(tmp_path: Path) -> None:
    """csv.DictReader kept the last of two conn_internet cells: 5 connections were lost."""
    found = inventory_problems(
        tmp_path / "inv.csv",
        "id,parent,jurisdiction,region,conn_internet,conn_internet\na,,SE,R1,5,7\n",
    )
    assert found == ["header: column 'conn_internet' appears more than once"]


def test_an_inventory_column_naming_no_service_is_refused(tmp_path: Path) -> None:
    """``conn_`` made a service called ""; a YAML ``connections`` key "" likewise."""
    found = inventory_problems(
        tmp_path / "inv.csv", "id,parent,jurisdiction,region,conn_\na,,SE,R1,5\n"
    )
    assert found == ["header: column 'conn_' names no service (conn_<service>)"]
    found = inventory_problems(
        tmp_path / "inv.yaml",
        "elements:\n- {id: a, jurisdiction: SE, region: R1, connections: {'': 5}}\n",
    )
    assert found == ["elements[0].connections: service '' has no name"]


@pytest.mark.parametrize(
    ("totals", "says"),
    [
        ({"SE": {"internet": -5}}, "inventory.service_totals.SE.internet: Input should be greater"),
        ({"SE": {"internet": 0}}, "inventory.service_totals.SE.internet: Input should be greater"),
        (
            {"DK": {"internet": 5}},
            "inventory.service_totals.DK: as a key: expected SE or NO, got 'DK'",
        ),
    ],
)
def test_service_totals_are_counts_of_a_known_jurisdiction(
    tmp_path: Path, totals: dict[str, dict[str, int]], says: str
) -> None:
    """A national total is the denominator of share criteria: a count of at least 1 in SE or NO."""
    (found,) = problems(tmp_path, put("inventory.service_totals", totals))
    assert found.startswith(says), found


# ---- rule sets ----------------------------------------------------------------------------


def rule_set(name: str, change: Callable[[dict[str, Any]], object]) -> Mutate:
    """Change the rule set file ``rules/NAME.yaml`` of the copy."""

    def mutate(_data: dict[str, Any], folder: Path) -> None:
        path = folder / "rules" / f"{name}.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    return mutate


def test_a_threshold_the_criterion_kind_does_not_use_is_refused(tmp_path: Path) -> None:
    """``min_connections`` on an ``area`` criterion was silently ignored."""
    found = problems(
        tmp_path, rule_set("pts-outage", lambda r: r["criteria"][3].update(min_connections=5))
    )
    rules = tmp_path / "rules" / "pts-outage.yaml"
    assert found == [
        f"{rules}: criteria.3: min_connections: not used by kind 'area' (ignored by its "
        "evaluation); remove it or choose the kind that uses it"
    ]


def test_an_obligation_kind_listed_twice_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path, rule_set("nkom-varsel", lambda r: r["obligations"].append("nkom_varsel"))
    )
    rules = tmp_path / "rules" / "nkom-varsel.yaml"
    assert found == [f"{rules}: obligations: obligation kind 'nkom_varsel' appears twice"]


# ---- store --------------------------------------------------------------------------------


def test_a_problem_of_the_long_store_form_names_only_its_key(tmp_path: Path) -> None:
    """``store`` is a URL or ``{url, unsafe_ok}``: a problem of one form no longer also says
    what the other form expected (``store.str: Input should be a valid string``)."""
    found = problems(tmp_path, put("store", {"url": "redis://h", "bogus": 1}))
    assert found == ["store.bogus: unknown key"]
