"""``bridge check-config``: validate the configuration and print what it will do."""

from __future__ import annotations

from bridge.cli.common import invalid
from bridge.config import load_config
from bridge.config.inventory import load_inventory
from bridge.errors import ConfigError
from bridge.store.redis import redact


def check_config(path: str) -> int:
    """Print a summary of a valid configuration, or every problem; return 0 or 1."""
    try:
        loaded = load_config(path)
        cfg = loaded.config
        topology = load_inventory(cfg.inventory.path, cfg.inventory.service_totals)
    except ConfigError as exc:
        return invalid(exc)
    print(f"configuration OK: {loaded.path}")
    print(f"  store: {redact(loaded.store_url())}")
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
    privacy = loaded.privacy_rule_sets()
    if cfg.privacy is None:
        print("  privacy track: off (no privacy section)")
    else:
        label = ", ".join(f"{k}={v}" for k, v in cfg.privacy.alert_label.items()) or "none"
        print(f"  privacy track: on; alerts opening privacy cases: {label}")
        for rs in privacy:
            flag = "verified" if rs.verified else "NOT VERIFIED"
            kinds = ", ".join(rs.obligation_kinds())
            print(f"    {rs.regulator}: rule set {rs.id} ({rs.jurisdiction}, {flag}): {kinds}")
    used = {r.rule_set for r in cfg.regulators.values()} | {rs.id for rs in privacy}
    unused = sorted(set(loaded.rule_sets) - used)
    if unused:
        print(f"  rule sets not used by any regulator: {', '.join(unused)}")
    unverified = [rs.id for rs in [*loaded.enabled_rule_sets(), *privacy] if not rs.verified]
    if unverified:
        print(
            f"  WARNING: unverified rule sets in use: {', '.join(unverified)} "
            "(check their numbers against the regulation in force)"
        )
    return 0
