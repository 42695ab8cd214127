"""A bounded memo: a dict that starts over once it holds a given number of entries.

For memos keyed by values an alert can name itself (label values): without a bound they grow
with every value ever met. Reads are a plain dict's (nothing is added to a hit); a write that
finds it full empties it first, so what a memo answers never changes, only what it costs.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V]):
    """See the module docstring; ``held``: the most entries it holds."""

    def __init__(self, held: int) -> None:
        super().__init__()
        self.held = held

    def __setitem__(self, key: K, value: V) -> None:
        if len(self) >= self.held:
            self.clear()
        super().__setitem__(key, value)
