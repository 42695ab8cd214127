"""``python -m bridge`` and the ``bridge`` command: see :mod:`bridge.cli`."""

from __future__ import annotations

import sys

from bridge.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
