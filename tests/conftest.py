"""Shared fixtures. Tests import helpers from tests/fakes.py and tests/builders.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
