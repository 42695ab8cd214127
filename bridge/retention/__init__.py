"""Retention at work (docs/retention.md): :mod:`.pruner` goes through the store once and removes,
in small batches, what :mod:`bridge.core.retention` says goes (or only counts it: a dry run);
:mod:`.task` runs it in the leader at an interval and keeps ``bridge_store_records`` fresh."""
