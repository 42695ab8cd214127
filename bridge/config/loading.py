"""bridge.yaml as the service reads it.

Contract:
- :func:`load_config` reads the YAML file, applies ``BRIDGE_…`` environment overrides
  (``BRIDGE_SERVER__LISTEN=0.0.0.0:8080``: sections joined by ``__``, values parsed as YAML),
  resolves relative paths against the config file's folder, reads ``*_file`` secrets, loads the
  rule sets of ``rules_dir`` and checks every reference between them.
- Any problem raises :class:`~bridge.errors.ConfigError` listing every problem as
  ``FILE: key.path: what was expected (got …)`` (``environment BRIDGE_…: …`` for a key a
  variable set, or one under a section a variable made, as a misspelt
  ``BRIDGE_EVALUATON__INTERVAL``): unknown keys, wrong types, bad durations, unknown rule sets
  or criterion kinds; a secret (:func:`_secrets`) still a ``CHANGE-ME`` placeholder or an
  unexpanded one (``${VAR}``, ``{{ … }}``, ``<…>``: nothing is substituted,
  :func:`_template_secret_problems`), or a ``dev-only-`` one beyond loopback; two bearer
  tokens with one secret; two credentials of one list (webhook tokens, basic users, API
  tokens) with one name; a ``correlation.quiet_period`` not shorter than a report's deadline
  after the incident is normalised (``nkom_normalised``: :func:`_quiet_period_problems`).
- Secrets print as ``<secret>``.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from pydantic import ValidationError

from bridge.config.errors import env_origin, errors_of, read_yaml
from bridge.config.models import BridgeConfig, StoreConfig, TemplatesConfig
from bridge.config.rule_sets import RuleSetModel, load_rule_sets
from bridge.config.types import (
    DEV_SECRET_PREFIX,
    PLACEHOLDER_SECRET_PREFIX,
    Secret,
    template_shape,
)
from bridge.core.calendar import After
from bridge.core.durations import format_duration
from bridge.core.obligations import rule_for
from bridge.errors import ConfigError


def _apply_env(
    data: dict[str, Any],
    env: Mapping[str, str],
    applied: dict[tuple[str, ...], str],
    made: dict[tuple[str, ...], str] | None = None,
) -> list[str]:
    """Apply ``BRIDGE_…`` overrides to ``data``; ``applied`` gets each key path set and the
    variable that set it, ``made`` each section the file did not have and the variables that
    made it or wrote under it (``"BRIDGE_A__X, BRIDGE_A__Y"``: a misspelt section,
    ``BRIDGE_EVALUATON__INTERVAL``, is theirs, not the file's). Returns the problems (each
    naming the variable)."""
    problems: list[str] = []
    writers: dict[tuple[str, ...], list[str]] = {}
    for name, raw in sorted(env.items()):
        if not name.startswith("BRIDGE_") or name in ("BRIDGE_CONFIG",):
            continue
        path = [p.lower() for p in name[len("BRIDGE_") :].split("__")]
        node = data
        for depth, part in enumerate(path[:-1], 1):
            section = tuple(path[:depth])
            if part not in node:
                writers[section] = []
            if section in writers:
                writers[section].append(name)
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                problems.append(f"environment {name}: {part} is not a section")
                break
            node = child
        else:
            try:
                node[path[-1]] = yaml.safe_load(raw)
            except yaml.YAMLError:
                node[path[-1]] = raw
            applied[tuple(path)] = name
    if made is not None:
        made.update({section: ", ".join(names) for section, names in writers.items()})
    return problems


#: The lease lasts evaluation.interval by default (failover within two ticks), but never less
#: than this unless set: a loaded event loop must not lose its own lease between renewals.
MIN_DEFAULT_LEASE = timedelta(seconds=5)


class LoadedConfig:
    """A validated bridge.yaml with its rule sets."""

    def __init__(
        self,
        path: Path,
        config: BridgeConfig,
        rule_sets: dict[str, tuple[Path, RuleSetModel]],
        env_overrides: Mapping[tuple[str, ...], str] | None = None,
        env_sections: Mapping[tuple[str, ...], str] | None = None,
    ) -> None:
        self.path = path
        self.config = config
        self.rule_sets = rule_sets
        #: key path → the ``BRIDGE_…`` variable that set it (names only: never the value)
        self.env_overrides = dict(env_overrides or {})
        #: a section the file did not have → the variables that made it (names only)
        self.env_sections = dict(env_sections or {})

    def enabled_rule_sets(self) -> list[RuleSetModel]:
        """The outage rule sets of the enabled regulators."""
        return [
            self.rule_sets[reg.rule_set][1]
            for reg in self.config.regulators.values()
            if reg.enabled
        ]

    def privacy_rule_sets(self) -> list[RuleSetModel]:
        """The privacy rule sets named in ``privacy.rule_sets`` (none while the track is off)."""
        privacy = self.config.privacy
        return [] if privacy is None else [self.rule_sets[n][1] for n in privacy.rule_sets]

    def origin(self, loc: tuple[str, ...]) -> str:
        """Where the value at key path ``loc`` came from: the ``BRIDGE_…`` variable that set it,
        else the file (how a problem names it)."""
        return _origin(self.path, {**self.env_sections, **self.env_overrides}, loc)

    def lease_ttl(self) -> timedelta:
        """The leader lease's time to live: ``replication.lease_ttl``, else
        ``evaluation.interval`` but at least :data:`MIN_DEFAULT_LEASE` (the bridges and
        ``bridge restored`` take it alike)."""
        cfg = self.config
        return cfg.replication.lease_ttl or max(cfg.evaluation.interval, MIN_DEFAULT_LEASE)

    def store_url(self) -> str:
        """The store URL with a relative SQLite path resolved against the config folder (and
        ``store.unsafe_ok`` carried as the Redis URL's ``unsafe_ok=true``)."""
        store = self.config.store
        url = store if isinstance(store, str) else store.url
        if isinstance(store, StoreConfig) and store.unsafe_ok:
            url += ("&" if "?" in url else "?") + "unsafe_ok=true"
        if url.startswith("sqlite:///"):
            p = Path(url[len("sqlite:///") :])
            if not p.is_absolute():
                p = (self.path.parent / p).resolve()
            return f"sqlite:///{p}"
        return url


def _rule_set_problems(
    path: Path,
    where: str,
    name: str,
    track: str | tuple[str, ...],
    rule_sets: Mapping[str, tuple[Path, RuleSetModel]],
    rules_dir: Path,
) -> list[str]:
    tracks = (track,) if isinstance(track, str) else track
    if name not in rule_sets:
        known = ", ".join(sorted(n for n, (_, rs) in rule_sets.items() if rs.track in tracks))
        return [
            f"{path}: {where}: unknown rule set {name!r} (known: {known or 'none'} in {rules_dir})"
        ]
    found = rule_sets[name][1].track
    if found not in tracks:

        def a(word: str) -> str:
            return f"an {word}" if word == "outage" else f"a {word}"

        expected = " or ".join(a(t) for t in tracks)
        return [
            f"{path}: {where}: rule set {name!r} is {a(found)} rule set, expected {expected} one"
        ]
    return []


def _origin(path: Path, applied: Mapping[tuple[str, ...], str], loc: tuple[str, ...]) -> str:
    """Where the value at ``loc`` came from: the ``BRIDGE_…`` variable that set it, else the
    file (as :func:`~bridge.config.errors.errors_of` names them)."""
    name = env_origin(applied, loc)
    return f"environment {name}" if name else str(path)


def loopback_only(host: str) -> bool:
    """Whether a listen host accepts connections from this machine only (127.0.0.0/8, ::1,
    ``localhost``); an empty host or 0.0.0.0 listens on every interface."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name may resolve to any interface


def _secrets(cfg: BridgeConfig) -> Iterator[tuple[tuple[str, ...], Secret]]:
    """Every configured secret with its key path: the callers' tokens and passwords, the SMTP
    relay's password and the password of a Redis store URL (its key path is ``store``, or
    ``store.url`` in the long form)."""
    auth = cfg.auth
    for i, token in enumerate(auth.webhook.tokens):
        yield ("auth", "webhook", "tokens", str(i), "token"), token.token
    for i, basic in enumerate(auth.webhook.basic):
        yield ("auth", "webhook", "basic", str(i), "password"), basic.password
    for i, api in enumerate(auth.api_tokens):
        yield ("auth", "api_tokens", str(i), "token"), api.token
    if cfg.smtp is not None and cfg.smtp.password is not None:
        yield ("smtp", "password"), cfg.smtp.password
    store = cfg.store
    url, loc = (store, ("store",)) if isinstance(store, str) else (store.url, ("store", "url"))
    password = urlsplit(url).password if url.startswith(("redis://", "rediss://")) else None
    if password:  # redis://[USER]:PASSWORD@HOST: the store's password
        yield loc, Secret(unquote(password))


def _development_secret_problems(
    path: Path, cfg: BridgeConfig, applied: Mapping[tuple[str, ...], str]
) -> list[str]:
    """The shipped example's ``dev-only-…`` secrets are published in this repository: accepted
    while the server listens on loopback only (the README's demo), refused otherwise."""
    listen = cfg.server.listen
    if loopback_only(cfg.server.host):
        return []
    return [
        f"{_origin(path, applied, loc)}: {'.'.join(loc)}: a development secret "
        f"({DEV_SECRET_PREFIX}…, published with the example configuration) while server.listen "
        f"{listen} is reachable beyond this machine: set a secret of your own, or listen on "
        "127.0.0.1 only"
        for loc, secret in _secrets(cfg)
        if secret.get().startswith(DEV_SECRET_PREFIX)
    ]


def _placeholder_secret_problems(
    path: Path, cfg: BridgeConfig, applied: Mapping[tuple[str, ...], str]
) -> list[str]:
    """A secret still starting ``CHANGE-ME`` (any case: the placeholders of
    deploy/kubernetes/secret.yaml) is as public as this repository: refused wherever the server
    listens."""
    return [
        f"{_origin(path, applied, loc)}: {'.'.join(loc)}: a placeholder secret (CHANGE-ME…, "
        "published with the example deploy files): replace it with a secret of your own "
        "(e.g. openssl rand -hex 32)"
        for loc, secret in _secrets(cfg)
        if secret.get().lower().startswith(PLACEHOLDER_SECRET_PREFIX)
    ]


def _template_secret_problems(
    path: Path, cfg: BridgeConfig, applied: Mapping[tuple[str, ...], str]
) -> list[str]:
    """bridge.yaml is read as written: nothing substitutes ``${VAR}`` in it. A secret still in
    a placeholder's shape (:func:`~bridge.config.types.template_shape`: a deploy tool that did
    not run, a variable never set) is a public, guessable secret: refused wherever the server
    listens, naming the key, its origin and the shape, never the value."""
    problems: list[str] = []
    for loc, secret in _secrets(cfg):
        shape = template_shape(secret.get())
        if shape is not None:
            problems.append(
                f"{_origin(path, applied, loc)}: {'.'.join(loc)}: a secret that looks like an "
                f"unexpanded placeholder ({shape}): bridge.yaml is read as written, without "
                "substituting variables: put the secret itself there, in a token_file or "
                "password_file, or in a BRIDGE_… variable"
            )
    return problems


def _shared_token_problems(
    path: Path, cfg: BridgeConfig, applied: Mapping[tuple[str, ...], str]
) -> list[str]:
    """A bearer token (``auth.webhook.tokens``, ``auth.api_tokens``) names one caller: one
    whose secret another entry has too would authenticate as whichever is looked up first, its
    roles and its name in the audit then being a matter of order (a webhook token equal to an
    API token also lets Alertmanager's credential read the API). Each later entry is refused
    naming the earlier one."""
    auth = cfg.auth
    tokens: list[tuple[tuple[str, ...], str]] = [
        (("auth", "webhook", "tokens", str(i), "token"), t.token.get())
        for i, t in enumerate(auth.webhook.tokens)
    ] + [
        (("auth", "api_tokens", str(i), "token"), t.token.get())
        for i, t in enumerate(auth.api_tokens)
    ]
    first: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    for loc, value in tokens:
        earlier = first.setdefault(value, loc)
        if earlier != loc:
            problems.append(
                f"{_origin(path, applied, loc)}: {'.'.join(loc)}: the same secret as "
                f"{'.'.join(earlier)}: a token names one caller (shared, it would act as "
                "whichever entry comes first, with its roles and its name in the audit); give "
                "each its own"
            )
    return problems


def _shared_name_problems(
    path: Path, cfg: BridgeConfig, applied: Mapping[tuple[str, ...], str]
) -> list[str]:
    """A credential's name is who the audit says acted (``token:NAME``) and what a person reads
    in the logs: two webhook tokens, two API tokens or two basic-auth users under one name would
    be told apart by nobody. Each later entry is refused naming the earlier one."""
    auth = cfg.auth
    lists: list[tuple[tuple[str, ...], str, list[str]]] = [
        (("auth", "webhook", "tokens"), "name", [t.name for t in auth.webhook.tokens]),
        (("auth", "webhook", "basic"), "username", [b.username for b in auth.webhook.basic]),
        (("auth", "api_tokens"), "name", [t.name for t in auth.api_tokens]),
    ]
    problems: list[str] = []
    for where, field, names in lists:
        first: dict[str, int] = {}
        for i, name in enumerate(names):
            earlier = first.setdefault(name, i)
            if earlier != i:
                loc = (*where, str(i), field)
                problems.append(
                    f"{_origin(path, applied, loc)}: {'.'.join(loc)}: {name!r} is the "
                    f"{field} of {'.'.join((*where, str(earlier)))} too: the audit and the logs "
                    "name a caller by it; give each its own"
                )
    return problems


def _regulator_problems(
    path: Path,
    cfg: BridgeConfig,
    rule_sets: Mapping[str, tuple[Path, RuleSetModel]],
    applied: Mapping[tuple[str, ...], str],
) -> list[str]:
    """Each ``regulators`` key is its rule set's ``regulator`` (drafting looks a regulator's
    recipient and channel up by that name: under another key they are never found), and its
    ``channels`` name only its own rule set's report kinds (another's kind would move that
    regulator's report); each ``privacy.recipients`` key is the regulator of a privacy rule set
    in use."""
    problems: list[str] = []
    known = sorted({rs.regulator for _, rs in rule_sets.values()})
    for name, reg in cfg.regulators.items():
        if reg.rule_set not in rule_sets:
            continue  # said by _rule_set_problems
        rule_set = rule_sets[reg.rule_set][1]
        loc: tuple[str, ...] = ("regulators", name)
        if name != rule_set.regulator:
            problems.append(
                f"{_origin(path, applied, loc)}: {'.'.join(loc)}: expected the key "
                f"{rule_set.regulator!r}, the regulator of rule set {rule_set.id} (notices find "
                f"a regulator's recipient and channels by it; known regulators: "
                f"{', '.join(known)})"
            )
        kinds = rule_set.obligation_kinds()
        for kind in reg.channels:
            if kind not in kinds:
                loc = ("regulators", name, "channels", kind)
                problems.append(
                    f"{_origin(path, applied, loc)}: {'.'.join(loc)}: not a report kind of rule "
                    f"set {rule_set.id} (its kinds: {', '.join(kinds) or 'none'}): a regulator "
                    "sets the channel of its own reports only"
                )
    if cfg.privacy is not None and cfg.privacy.recipients:
        privacy = sorted(
            {rule_sets[n][1].regulator for n in cfg.privacy.rule_sets if n in rule_sets}
        )
        for name in cfg.privacy.recipients:
            if name not in privacy:
                loc = ("privacy", "recipients", name)
                problems.append(
                    f"{_origin(path, applied, loc)}: {'.'.join(loc)}: not the regulator of a "
                    f"privacy rule set in privacy.rule_sets (expected one of "
                    f"{', '.join(privacy) or 'none'})"
                )
    return problems


def _quiet_period_problems(
    path: Path,
    cfg: BridgeConfig,
    rule_sets: Mapping[str, tuple[Path, RuleSetModel]],
    applied: Mapping[tuple[str, ...], str],
) -> list[str]:
    """A report due a while after the incident is *normalised* (``nkom_normalised``: Nkom asks
    for an updated varsel when the incident is normalised, seed 003) is due that long after its
    last alert ended, but the bridge opens it only when the incident closes, a
    ``correlation.quiet_period`` later (an alert re-firing meanwhile continues the incident). A
    quiet period as long as that deadline makes every such report overdue the moment it opens:
    refused, naming both keys. The anchor stays the normalisation: that is when Nkom's text
    asks for the notice, and the quiet period is the bridge's own wait."""
    quiet = cfg.correlation.quiet_period
    problems: list[str] = []
    for name, reg in cfg.regulators.items():
        if not reg.enabled or reg.rule_set not in rule_sets:
            continue
        file, rule_set = rule_sets[reg.rule_set]
        core = rule_set.to_core()
        for kind in rule_set.obligation_kinds():
            rule = rule_for(core, kind)
            if not isinstance(rule, After) or rule.event != "normalised" or rule.months:
                continue
            if quiet >= rule.duration:
                loc = ("correlation", "quiet_period")
                problems.append(
                    f"{_origin(path, applied, loc)}: correlation.quiet_period: "
                    f"{format_duration(quiet)} is not shorter than the deadline of {kind} "
                    f"({format_duration(rule.duration)} after the incident is normalised: rule "
                    f"set {rule_set.id} of regulators.{name}, {file.name} obligations {kind} "
                    "params.duration): an incident is normalised when its last alert ends "
                    "but closes, and owes that report, only a quiet period later, so every "
                    f"{kind} would be overdue the moment it opens; shorten the quiet period "
                    f"or give {kind} a longer params.duration"
                )
    return problems


#: The kinds of record memory holds of an incident it still keeps (its document, alerts and
#: drafts): each one's period must be at least ``evaluation.memory_horizon``.
_HELD_IN_MEMORY = ("alerts", "incidents", "drafts", "notices")


def _retention_problems(
    path: Path, cfg: BridgeConfig, applied: Mapping[tuple[str, ...], str]
) -> list[str]:
    """A retention period shorter than ``evaluation.memory_horizon`` would prune records of an
    incident memory still holds: the API would list an incident (its alerts, its drafts) the
    store no longer has, and a restart would find it incomplete. Refused, naming both keys
    (``deliveries`` are not held in memory: any period from 1d stands)."""
    horizon = cfg.evaluation.memory_horizon
    problems: list[str] = []
    for kind in _HELD_IN_MEMORY:
        period = getattr(cfg.retention, kind)
        if period is not None and period < horizon:
            loc = ("retention", kind)
            problems.append(
                f"{_origin(path, applied, loc)}: retention.{kind}: {format_duration(period)} is "
                f"shorter than evaluation.memory_horizon ({format_duration(horizon)}), how long "
                "memory keeps a settled incident: the store would prune what the API still "
                f"lists; set it to at least {format_duration(horizon)} (or 'never'), or lower "
                "evaluation.memory_horizon"
            )
    return problems


def load_config(path: Path | str, env: Mapping[str, str] | None = None) -> LoadedConfig:
    """See the module contract."""
    path = Path(path)
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: expected a mapping at the top level"])
    overrides: dict[tuple[str, ...], str] = {}
    made: dict[tuple[str, ...], str] = {}
    problems = _apply_env(data, os.environ if env is None else env, overrides, made)
    if problems:
        raise ConfigError(problems)
    # where a problem came from: the variable that set a key, or made the section holding it
    applied = {**made, **overrides}
    base = path.parent.resolve()
    try:
        cfg = BridgeConfig.model_validate(data, context={"base_dir": base})
    except ValidationError as exc:
        raise ConfigError(errors_of(path, exc, applied)) from None
    updates: dict[str, Any] = {}
    rules_dir = cfg.rules_dir if cfg.rules_dir.is_absolute() else base / cfg.rules_dir
    updates["rules_dir"] = rules_dir
    inv = cfg.inventory
    if inv.path is not None and not inv.path.is_absolute():
        updates["inventory"] = inv.model_copy(update={"path": base / inv.path})
    if cfg.templates.dir is not None and not cfg.templates.dir.is_absolute():
        updates["templates"] = TemplatesConfig(dir=base / cfg.templates.dir)
    if not cfg.notices.archive_dir.is_absolute():
        updates["notices"] = cfg.notices.model_copy(
            update={"archive_dir": base / cfg.notices.archive_dir}
        )
    if cfg.smtp is not None and cfg.smtp.ca_file is not None and not cfg.smtp.ca_file.is_absolute():
        updates["smtp"] = cfg.smtp.model_copy(update={"ca_file": base / cfg.smtp.ca_file})
    cfg = cfg.model_copy(update=updates)
    if not rules_dir.is_dir():
        raise ConfigError([f"{path}: rules_dir: expected a folder of rule sets, got {rules_dir}"])
    rule_sets = load_rule_sets(rules_dir)
    problems = _placeholder_secret_problems(path, cfg, applied)
    problems += _template_secret_problems(path, cfg, applied)
    problems += _development_secret_problems(path, cfg, applied)
    problems += _shared_token_problems(path, cfg, applied)
    problems += _shared_name_problems(path, cfg, applied)
    for name, reg in cfg.regulators.items():
        problems += _rule_set_problems(
            path,
            f"regulators.{name}.rule_set",
            reg.rule_set,
            ("outage", "cyber"),
            rule_sets,
            rules_dir,
        )
    if cfg.privacy is not None:
        for i, name in enumerate(cfg.privacy.rule_sets):
            problems += _rule_set_problems(
                path, f"privacy.rule_sets.{i}", name, "privacy", rule_sets, rules_dir
            )
    problems += _regulator_problems(path, cfg, rule_sets, applied)
    problems += _quiet_period_problems(path, cfg, rule_sets, applied)
    problems += _retention_problems(path, cfg, applied)
    if cfg.inventory.path is not None and not cfg.inventory.path.exists():
        problems.append(f"{path}: inventory.path: file not found: {cfg.inventory.path}")
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(path, cfg, rule_sets, overrides, made)
