"""``bridge check-config``: validate the configuration and print what it will do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bridge.cli.common import invalid
from bridge.cli.configured import load_with_inventory
from bridge.config import LoadedConfig, org_numbers
from bridge.config.models import OperatorConfig, RetentionConfig, ServiceNames, SmtpConfig
from bridge.config.rule_sets import ObligationModel
from bridge.core.drafts import DEFAULT_SERVICE_NAMES, OUTAGE, PRIVACY, SUBSCRIBER
from bridge.core.durations import format_duration
from bridge.core.retention import PRUNABLE
from bridge.core.rules import OPERATOR_SOURCE
from bridge.core.store_url import redact
from bridge.core.topology import Element
from bridge.errors import ConfigError
from bridge.notices.senders import sender


def _contacts(operator: OperatorConfig) -> None:
    """Who signs which notices (a track without its own contact uses ``operator.contact``)."""
    print("  contacts:")
    for track, what in (
        ("outage", "Nkom varsler, PTS outage reports"),
        ("privacy", "privacy reports' contact point"),
        ("subscriber", "the 'contact us' of subscriber notices"),
    ):
        own = getattr(operator.contacts, track)
        contact = own or operator.contact
        shown = ", ".join(p for p in (contact.name, contact.phone, contact.email) if p) or "-"
        origin = "" if own else " (operator.contact)"
        print(f"    {track} ({what}): {shown}{origin}")
    shared = [t for t in ("privacy", "subscriber") if getattr(operator.contacts, t) is None]
    if shared:
        print(
            f"  WARNING: no own contact for {', '.join(shared)} (operator.contacts): the "
            "default contact signs them too"
        )
    channel = operator.contacts.subscriber or operator.contact
    if channel.phone and not channel.phone.startswith("+") and set(channel.phones) != {"sv", "nb"}:
        print(
            f"  WARNING: the subscriber notices' phone {channel.phone} is a domestic number and "
            "Swedish and Norwegian subscribers would both read it: give phones: {sv: …, nb: …}"
        )


_WHOSE = {
    "SE": "PTS's, the CSIRT's and Swedish subscribers'",
    "NO": "Nkom's and Norwegian subscribers'",
}


def _identities(operator: OperatorConfig, jurisdictions: Iterable[str], privacy_on: bool) -> None:
    """The provider each country's notices name (``operator.jurisdictions.J``, else the
    operator's own ``name``/``org_number``); a warning when that country's notices would carry
    an organisation number without its form (:mod:`bridge.config.org_numbers`): the default
    one is not checked at load, as its country is not stated."""
    print("  provider named in the notices:")
    for j in sorted(set(jurisdictions)):
        own = operator.jurisdictions.get(j)
        name = (own.name if own else "") or operator.name
        number = (own.org_number if own else "") or operator.org_number
        origin = (
            f"operator.jurisdictions.{j}"
            if own and own.name and own.org_number
            else "operator.name, operator.org_number"
            if not own
            else f"operator.jurisdictions.{j} with operator's defaults"
        )
        print(f"    {j} ({_WHOSE[j]} notices): {name or '-'}, org.nr {number or '-'} ({origin})")
        field = (
            f"operator.jurisdictions.{j}.org_number"
            if own and own.org_number
            else "operator.org_number"
        )
        if not number:
            print(f"  WARNING: {field} is empty: {_WHOSE[j]} notices name no organisation number")
        elif not org_numbers.valid(j, number):
            print(
                f"  WARNING: {field} {number!r} is not {org_numbers.FORMS[j]}, yet {_WHOSE[j]} "
                f"notices name it: give operator.jurisdictions.{j} (name, org_number) for the "
                f"provider registered there"
            )
        _replies(operator, j, privacy_on)


#: what each reply track's notices are, as check-config names them
_REPLY_TRACKS = {
    OUTAGE: "outage notices",
    PRIVACY: "privacy notices",
    SUBSCRIBER: "subscriber notices",
}
#: the keys that give a track's notices an address of their own, per track (operator's first)
_REPLY_KEYS = {PRIVACY: (PRIVACY,), SUBSCRIBER: (SUBSCRIBER, PRIVACY)}


def _replies(operator: OperatorConfig, j: str, privacy_on: bool) -> None:
    """Where a regulator's answer to country ``j``'s notices goes (their Reply-To), per track
    (:meth:`bridge.core.drafts.Sender.reply`, the rule the mail follows): outage notices to the
    country's ``reply_to``, else ``operator.contact.email``, else nowhere but From
    (``smtp.sender``); privacy notices to the privacy contact's e-mail, subscriber notices to
    the subscriber channel's, else the privacy contact's. A warning when the country names its
    own contacts but not where replies go, and (privacy track on) when privacy or subscriber
    notices fall back to the general address, naming the keys to set."""
    own = operator.jurisdictions.get(j)
    who = sender(operator).of(j)
    for track, what in _REPLY_TRACKS.items():
        reply = who.reply(track)
        if not reply.address:
            where = "smtp.sender (no Reply-To: no reply_to, no operator.contact.email)"
        else:
            note = f": no {track} contact e-mail" if reply.general and track == PRIVACY else ""
            if reply.general and track == SUBSCRIBER:
                note = ": no subscriber channel or privacy contact e-mail"
            where = f"{reply.address} ({reply.key}{note})"
        print(f"      replies to {what}: {where}")
    general = who.reply(OUTAGE)
    tracks = [t for t in ("outage", "privacy", "subscriber") if own and getattr(own.contacts, t)]
    if own and not own.reply_to and tracks:
        print(
            f"  WARNING: operator.jurisdictions.{j} names its own contacts but no reply_to: a "
            f"regulator's answer to {_WHOSE[j]} notices goes to "
            f"{general.address or 'smtp.sender'}, not to the contacts the notices name there"
        )
    if not privacy_on:
        return
    for track in (PRIVACY, SUBSCRIBER):
        reply = who.reply(track)
        if not reply.general:
            continue
        keys = " or ".join(
            f"{root}.contacts.{t}.email"
            for t in _REPLY_KEYS[track]
            for root in ("operator", f"operator.jurisdictions.{j}")
        )
        print(
            f"  WARNING: replies to {j}'s {_REPLY_TRACKS[track]} go to "
            f"{reply.address or 'smtp.sender'}, the general address, though an answer about a "
            f"personal-data breach may quote personal data: set {keys}"
        )


def _subscriber_address(recipient: str | None, operator: OperatorConfig) -> None:
    """Where subscriber notices go: the bridge hands each to one address of the operator's,
    which distributes it (the rule bridge/notices/context.py follows); the general contact
    (often the NOC mailbox) when ``privacy.subscriber_notice_recipient`` is not set."""
    if recipient:
        where = f"{recipient} (privacy.subscriber_notice_recipient)"
    else:
        where = (
            f"{operator.contact.email or '-'} (operator.contact.email, the general address: set "
            "privacy.subscriber_notice_recipient to the team that distributes them)"
        )
    print(f"    subscriber notices go to: {where}")


def _services(configured: Mapping[str, ServiceNames], used: Iterable[str]) -> None:
    """Each inventory service's display names; a warning names those without one."""
    named = {k: {"sv": v.sv, "nb": v.nb} for k, v in configured.items()}
    rows = []
    missing = []
    for key in sorted(set(used)):
        names = named.get(key) or DEFAULT_SERVICE_NAMES.get(key)
        if names is None:
            missing.append(key)
        else:
            rows.append(f"{key} = {names['sv']} / {names['nb']}")
    print(f"  services (sv / nb): {'; '.join(rows) or '-'}")
    if missing:
        print(
            f"  WARNING: services without a display name: {', '.join(missing)} "
            "(add them under services: in bridge.yaml; notices show the key made readable)"
        )


def _smtp(smtp: SmtpConfig | None) -> None:
    """Where notices go: the relay, its security, the sender (no secret printed)."""
    if smtp is None:
        print("  smtp: no smtp section: nothing will be sent (approved notices wait in the outbox)")
        return
    login = f", login as {smtp.username}" if smtp.username else ", no login"
    print(
        f"  smtp: {smtp.host}:{smtp.port} (security {smtp.security}{login}); sender {smtp.sender}"
    )


def _env(overrides: Mapping[tuple[str, ...], str]) -> None:
    """Which keys came from the environment: the variables' names, never their values."""
    if not overrides:
        print("  from the environment: nothing (no BRIDGE_ overrides)")
        return
    shown = ", ".join(f"{'.'.join(k)} ({n})" for k, n in sorted(overrides.items()))
    print(f"  from the environment: {shown}")


def _default_channel(track: str) -> str:
    return "portal" if track == "cyber" else "email"


def _law(loaded: LoadedConfig, elements: Iterable[Element]) -> None:
    """What changed in the law: a rule set whose law applies only from a day says from when
    (``in_force_from``); a rule set that encodes a repealed regime says so, with what
    replaced it; a Swedish jurisdiction without a cybersecurity rule set (``se-cyber``) is a
    warning (since 2026-01-15 significant incidents go to the CSIRT, docs/regulation.md §1b)."""
    enabled = loaded.enabled_rule_sets()
    for rs in enabled:
        if rs.in_force_from is not None:
            print(
                f"  NOTE: rule set {rs.id} applies to incidents from {rs.in_force_from} "
                f"(in_force_from, {rs.jurisdiction} calendar): one that began earlier owes it "
                "nothing and is not marked by its criteria"
            )
        if rs.repealed_on is not None:
            day = rs.repealed_on.isoformat()
            by = f"; replaced by {rs.repealed_by}" if rs.repealed_by else ""
            print(
                f"  NOTE: rule set {rs.id} encodes a repealed regime (repealed {day}{by}): kept "
                f"for incidents before {day} and as an internal threshold"
            )
    swedish = {rs.id for rs in enabled if rs.jurisdiction == "SE"}
    if loaded.config.inventory.default_jurisdiction == "SE":
        swedish.add("inventory.default_jurisdiction")
    if any(el.jurisdiction == "SE" for el in elements):
        swedish.add("inventory")
    cyber = [rs.id for rs in enabled if rs.track == "cyber" and rs.jurisdiction == "SE"]
    if swedish and not cyber:
        print(
            f"  WARNING: Swedish jurisdiction configured ({', '.join(sorted(swedish))}) without "
            "a cybersecurity rule set: since 2026-01-15 significant incidents are reported to "
            "the CSIRT under cybersäkerhetslagen (2025:1506); add a regulator with rule_set: "
            "se-cyber (docs/regulation.md §1b)"
        )


def _criterion_services(loaded: LoadedConfig, known: set[str]) -> None:
    """A criterion restricted to a ``service`` the inventory does not count (nor
    ``inventory.service_totals`` names) is never met: warn, naming it (an inventory may grow,
    and alerts may describe their own service, so this is not an error)."""
    if not known:
        return  # no inventory: alerts describe their own services
    for rs in loaded.enabled_rule_sets():
        for i, c in enumerate(rs.criteria):
            if c.service is not None and c.service not in known:
                print(
                    f"  WARNING: rule set {rs.id}: criteria.{i}.service: {c.service!r} is no "
                    f"service of the inventory ({', '.join(sorted(known))}): only alerts "
                    "describing that service themselves can meet it"
                )


def retention_summary(retention: RetentionConfig) -> str:
    """Each kind's period once its incident settled (docs/retention.md), on one line."""
    periods = retention.periods()
    kinds = []
    for kind in PRUNABLE:
        period = getattr(periods, kind)
        kinds.append(f"{kind} {'never' if period is None else format_duration(period)}")
    every = format_duration(retention.interval)
    return f"{', '.join(kinds)}; audit and privacy register never; pruned every {every}"


def check_config(path: str) -> int:
    """Print a summary of a valid configuration, or every problem; return 0 or 1."""
    try:
        loaded, topology = load_with_inventory(path)
    except ConfigError as exc:
        return invalid(exc)
    cfg = loaded.config
    print(f"configuration OK: {loaded.path}")
    _env(loaded.env_overrides)
    print(f"  store: {redact(loaded.store_url())}")
    print(f"  retention: {retention_summary(cfg.retention)}")
    print(f"  listen: {cfg.server.listen}  (public URL {cfg.server.public_url})")
    print(
        f"  inventory: {len(topology)} elements"
        + (
            f" from {cfg.inventory.path}"
            if cfg.inventory.path
            else " (none: alerts describe their own impact)"
        )
    )
    print(
        f"  webhook credentials: {len(cfg.auth.webhook.tokens)} bearer token(s), "
        f"{len(cfg.auth.webhook.basic)} basic"
    )
    print("  regulators:")
    for name, reg in sorted(cfg.regulators.items()):
        rule_file, rs = loaded.rule_sets[reg.rule_set]
        state = "on " if reg.enabled else "off"
        flag = "verified" if rs.verified else "NOT VERIFIED"
        print(
            f"    {state} {name}: rule set {rs.id} ({rs.jurisdiction}, {len(rs.criteria)} "
            f"criteria, {flag}) from {rule_file.name}; recipient {reg.recipient or '-'}"
        )
        if reg.enabled:
            for c in rs.criteria:
                source = (
                    "operator's own choice (no regulator asks for it)"
                    if c.source == OPERATOR_SOURCE
                    else f"source: {c.source}"
                )
                print(f"        criterion {c.id} ({c.kind}): {source}")
            for o in rs.obligations:
                if isinstance(o, ObligationModel) and (o.source or o.params):
                    verified = rs.verified if o.verified is None else o.verified
                    params = ", ".join(f"{k}={v}" for k, v in o.params.items()) or "default"
                    print(
                        f"        report {o.kind} ({params}; channel "
                        f"{reg.channels.get(o.kind, reg.channel or _default_channel(rs.track))}):"
                        f" source: {o.source or rs.source}"
                        f"{'' if verified else ' (NOT VERIFIED)'}"
                    )
    _smtp(cfg.smtp)
    _contacts(cfg.operator)
    _identities(
        cfg.operator,
        [rs.jurisdiction for rs in [*loaded.enabled_rule_sets(), *loaded.privacy_rule_sets()]],
        cfg.privacy is not None,
    )
    _services(cfg.services, topology.service_names())
    privacy = loaded.privacy_rule_sets()
    if cfg.privacy is None:
        print("  privacy track: off (no privacy section)")
    else:
        label = ", ".join(f"{k}={v}" for k, v in cfg.privacy.alert_label.items()) or "none"
        print(f"  privacy track: on; alerts opening privacy cases: {label}")
        _subscriber_address(cfg.privacy.subscriber_notice_recipient, cfg.operator)
        for rs in privacy:
            flag = "verified" if rs.verified else "NOT VERIFIED"
            kinds = ", ".join(rs.obligation_kinds())
            print(f"    {rs.regulator}: rule set {rs.id} ({rs.jurisdiction}, {flag}): {kinds}")
    used = {r.rule_set for r in cfg.regulators.values()} | {rs.id for rs in privacy}
    unused = sorted(set(loaded.rule_sets) - used)
    if unused:
        print(f"  rule sets not used by any regulator: {', '.join(unused)}")
    _law(loaded, topology.elements.values())
    totals = {svc for per in cfg.inventory.service_totals.values() for svc in per}
    _criterion_services(loaded, topology.service_names() | totals)
    unverified = [rs.id for rs in [*loaded.enabled_rule_sets(), *privacy] if not rs.verified]
    if unverified:
        print(
            f"  WARNING: unverified rule sets in use: {', '.join(unverified)} "
            "(check their numbers against the regulation in force)"
        )
    return 0
