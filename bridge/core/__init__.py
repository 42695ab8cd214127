"""The pure domain: no I/O, no clock. Every function that needs the time takes ``now``."""
