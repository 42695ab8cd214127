"""What drafting needs from the configuration: the sender, the recipients per regulator and per
privacy kind, the renderer and the rules of a significant change (a ``case_drafts.Context``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from bridge.config import LoadedConfig
from bridge.config.report_forms import builtin_forms
from bridge.core import case_drafts, privacy_fields
from bridge.core.drafts import DEFAULT_RECIPIENTS, PRIVACY_KINDS, regulator_of
from bridge.notices.rendering import render
from bridge.notices.senders import sender


def regulator_recipients(loaded: LoadedConfig) -> dict[str, str]:
    """Address of each enabled regulator: its configured recipient, else its published one."""
    return {
        name: reg.recipient or DEFAULT_RECIPIENTS.get(name, "")
        for name, reg in loaded.config.regulators.items()
        if reg.enabled and (reg.recipient or name in DEFAULT_RECIPIENTS)
    }


def privacy_recipients(loaded: LoadedConfig, recipients: Mapping[str, str]) -> dict[str, str]:
    """Recipient per privacy kind: the regulators' privacy address (``privacy.recipients``,
    else the regulator's recipient, else its published address); subscriber notices go to
    ``privacy.subscriber_notice_recipient`` (else the operator's contact e-mail), for the
    operator to distribute: the bridge never e-mails subscribers itself."""
    cfg = loaded.config
    if cfg.privacy is None:
        return {}
    out: dict[str, str] = {}
    for kind in PRIVACY_KINDS:
        regulator = regulator_of(kind)
        address = (
            cfg.privacy.recipients.get(regulator)
            or recipients.get(regulator)
            or DEFAULT_RECIPIENTS.get(regulator, "")
        )
        if kind in privacy_fields.SUBSCRIBER_KINDS:
            address = cfg.privacy.subscriber_notice_recipient or cfg.operator.contact.email
        if address:
            out[kind] = address
    return out


def channels(loaded: LoadedConfig) -> dict[str, str]:
    """How each kind reaches its regulator: ``regulators.*.channels`` per kind, else the
    regulator's ``channel`` for its rule set's kinds, else ``portal`` for a cybersecurity rule
    set's (the CSIRT's portal) and ``email`` for the rest (left out: e-mail)."""
    out: dict[str, str] = {}
    for reg in loaded.config.regulators.values():
        if not reg.enabled:
            continue
        rule_set = loaded.rule_sets[reg.rule_set][1]
        default = reg.channel or ("portal" if rule_set.track == "cyber" else "email")
        for kind in rule_set.obligation_kinds():
            out[kind] = reg.channels.get(kind, default)
        for kind, channel in reg.channels.items():
            out[kind] = channel
    return {kind: channel for kind, channel in out.items() if channel != "email"}


def repealed_on(loaded: LoadedConfig) -> dict[str, date]:
    """Each kind of an enabled rule set that encodes a repealed law → the day it was repealed
    (PTS's outage reports: 2026-01-15)."""
    return {
        kind: rs.repealed_on
        for rs in loaded.enabled_rule_sets()
        if rs.repealed_on is not None
        for kind in rs.obligation_kinds()
    }


def internal_recipients(loaded: LoadedConfig) -> dict[str, str]:
    """Each kind of an enabled regulator's repealed rule set → the operator's own address for
    its reports of an incident since the repeal (``regulators.*.internal_recipient``); a kind
    left out is kept internally on approval, sent to no one."""
    out: dict[str, str] = {}
    for reg in loaded.config.regulators.values():
        if not reg.enabled or not reg.internal_recipient:
            continue
        rule_set = loaded.rule_sets[reg.rule_set][1]
        if rule_set.repealed_on is not None:
            out |= dict.fromkeys(rule_set.obligation_kinds(), reg.internal_recipient)
    return out


def drafting_context(
    loaded: LoadedConfig, regions: Mapping[str, str] | None = None
) -> case_drafts.Context:
    """The core's drafting context for this configuration; ``regions``: the inventory's region
    names (a notice names a region by them, in the impact now or not)."""
    cfg = loaded.config
    recipients = regulator_recipients(loaded)
    rules = cfg.notices.significant_change
    template_dir = cfg.templates.dir
    return case_drafts.Context(
        sender=sender(cfg.operator),
        recipients=recipients,
        render=lambda fields: render(fields, template_dir),
        change_rules=case_drafts.ChangeRules(
            impact_change=rules.impact_change,
            new_region=rules.new_region,
            new_service=rules.new_service,
            new_cause=rules.new_cause,
            severity_change=rules.severity_change,
            flags_change=rules.flags_change,
        ),
        severity_label=cfg.inventory.labels.severity,
        kind_recipients=privacy_recipients(loaded, recipients),
        services={key: {"sv": n.sv, "nb": n.nb} for key, n in cfg.services.items()},
        forms=builtin_forms(),
        channels=channels(loaded),
        repealed_on=repealed_on(loaded),
        internal_recipients=internal_recipients(loaded),
        regions=dict(regions or {}),
    )
