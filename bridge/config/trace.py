"""What configuration a bridge ran with, for the audit log: a compliance officer answering a
regulator months later must know which rule sets and settings were in force that night, not
only today's files.

Contract:
- :func:`fingerprint` gives, for a loaded config, a short hash per top-level section of
  ``bridge.yaml`` (``store`` left out: its URL may carry a password; secrets serialise as
  ``<secret>``, never their value) and per rule set in use (the enabled regulators' and the
  privacy track's), each hash over the validated model (so a comment or a reordering in a
  file changes nothing).
- :func:`changes` compares a fingerprint with the one the log last recorded (None: none was):
  the section and rule-set names whose hash differs, appeared or went (empty: nothing did).
- :func:`rule_set_texts` gives the models of the rule sets named, as JSON-ready dicts: the
  audit entry keeps the full text of a rule set that changed, so the words of a criterion as
  they were then can be read from the log itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from bridge.config.loading import LoadedConfig

#: sections never hashed: the store's URL may hold a password
LEFT_OUT = frozenset({"store"})


def _hash(value: Any) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def in_use(loaded: LoadedConfig) -> list[str]:
    """The ids of the rule sets the config uses, sorted."""
    return sorted({rs.id for rs in (*loaded.enabled_rule_sets(), *loaded.privacy_rule_sets())})


def fingerprint(loaded: LoadedConfig) -> dict[str, dict[str, str]]:
    """See the module contract: ``{"sections": {name: hash}, "rule_sets": {id: hash}}``."""
    dumped = loaded.config.model_dump(mode="json")
    sections = {k: _hash(v) for k, v in sorted(dumped.items()) if k not in LEFT_OUT}
    rule_sets = {i: _hash(loaded.rule_sets[i][1].model_dump(mode="json")) for i in in_use(loaded)}
    return {"sections": sections, "rule_sets": rule_sets}


def changes(now: Mapping[str, Mapping[str, str]], before: Mapping[str, Any] | None) -> list[str]:
    """See the module contract: ``section:NAME`` / ``rule_set:ID`` for each that differs."""
    out: list[str] = []
    for group, prefix in (("sections", "section"), ("rule_sets", "rule_set")):
        was = (before or {}).get(group) or {}
        is_ = now.get(group) or {}
        if before is None or not isinstance(was, Mapping):
            out.extend(f"{prefix}:{k}" for k in sorted(is_))
            continue
        out.extend(f"{prefix}:{k}" for k in sorted(set(was) | set(is_)) if was.get(k) != is_.get(k))
    return out


def rule_set_texts(loaded: LoadedConfig, ids: Iterable[str]) -> dict[str, Any]:
    """See the module contract."""
    return {i: loaded.rule_sets[i][1].model_dump(mode="json") for i in ids if i in loaded.rule_sets}
