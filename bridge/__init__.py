"""incident-bridge: Alertmanager webhooks to regulator-reportable incidents."""

__version__ = "0.1.0"
