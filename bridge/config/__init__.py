"""Configuration: bridge.yaml (:mod:`.models`), rule sets (:mod:`.rule_sets`), the inventory
(:mod:`.inventory`), all read strictly by :func:`load_config` (:mod:`.loading`)."""

from bridge.config.loading import LoadedConfig, load_config
from bridge.config.models import (
    ApiToken,
    AuthConfig,
    BridgeConfig,
    OperatorConfig,
    SessionConfig,
    SmtpConfig,
)
from bridge.config.rule_sets import (
    OBLIGATION_KINDS,
    RuleSetModel,
    load_rule_set,
    load_rule_sets,
)
from bridge.config.types import Secret

__all__ = [
    "OBLIGATION_KINDS",
    "ApiToken",
    "AuthConfig",
    "BridgeConfig",
    "LoadedConfig",
    "OperatorConfig",
    "RuleSetModel",
    "Secret",
    "SessionConfig",
    "SmtpConfig",
    "load_config",
    "load_rule_set",
    "load_rule_sets",
]
