"""Benchmarks for incident-bridge: ``python -m bench`` (see bench/README.md)."""
