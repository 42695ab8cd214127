"""The leader's fencing token as the stages that write as leader use it (the lease itself:
:mod:`bridge.replicas.leadership`)."""

from __future__ import annotations

from typing import Protocol


class Fence(Protocol):
    """The leader's claim: its token for fenced writes, and what to do when one is refused."""

    @property
    def token(self) -> int | None:
        """The fencing token while this replica leads, else None."""

    def holds(self) -> bool:
        """Whether this replica still holds the lease by its own clock: it leads and the lease
        it last took or renewed has not lapsed since (what no store write can check: the
        moment before a hand-over to the mail relay)."""

    async def lost(self, why: str) -> None:
        """A fenced write was refused (LeaseLost): stop leading now."""
