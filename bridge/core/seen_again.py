"""What the engine left for a group re-sent unchanged, so that its next re-send is one check.

Alertmanager re-sends a group's body every ``group_interval`` for as long as it fires: during
a long outage almost every webhook is one. :meth:`~bridge.core.engine.Engine.seen_again`
checks such a re-send alert by alert (held as sent, in the incident admit would place it in);
what it finds is kept here, and the next re-send of the same group is checked against that
instead.

Contract: :func:`still_as_left` is True only when nothing :meth:`Engine.seen_again`'s alert
by alert check reads has changed since it returned ``left`` (and the group comes again):
every episode it left is still the very object held for its key (status, end and annotations
as they were), every incident the episodes are in is still the very incident object (an
evaluation, a merge, a split or an eviction replaces or removes it, and nothing else changes
an episode's incident or the key that owns it), and none of their correlation keys waits to be
correlated in full (``risky``). Then that check would place every episode where ``left``
says, so the caller may move ``last_seen`` and answer ``left.placed`` without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from bridge.core.alerts import AlertEpisode
from bridge.core.incident_state import Incident
from bridge.core.incidents import EpisodeKey


class SeenAgain(msgspec.Struct, frozen=True, gc=False):
    """Where a re-sent group's episodes are, as :meth:`Engine.seen_again` left them.

    ``keys`` and ``held``: each episode's key and the episode object it left held, in the
    group's order. ``placed``: each episode's incident id; ``incident_ids`` the sorted
    distinct ids (the webhook's answer). ``standing``: each incident they are in, as the object
    stood; None when some episode was placed another way (then the next re-send is checked
    alert by alert again). ``correlation_keys``: the keys owning those incidents. A msgspec
    Struct: one is built per re-send, and a frozen dataclass costs several times more."""

    keys: Sequence[EpisodeKey]
    held: Sequence[AlertEpisode]
    placed: dict[EpisodeKey, str]
    incident_ids: list[str]
    standing: Sequence[tuple[str, Incident]] | None
    correlation_keys: frozenset[str]

    def moved(self, held: Sequence[AlertEpisode]) -> SeenAgain:
        """The same placement, with ``held`` now held for the same keys."""
        return msgspec.structs.replace(self, held=held)


def still_as_left(
    left: SeenAgain,
    episodes: Sequence[AlertEpisode],
    held: Mapping[EpisodeKey, AlertEpisode],
    incidents: Mapping[str, Incident],
    risky: set[str],
) -> bool:
    """See the module contract; also that ``episodes`` (the group re-sent again) span what
    ``left`` left held, key by key (same ``first_seen`` or earlier, same ``last_seen`` or
    later), so holding them is what merging them would give."""
    if left.standing is None or not left.correlation_keys.isdisjoint(risky):
        return False
    for inc_id, incident in left.standing:
        if incidents.get(inc_id) is not incident:
            return False
    if len(episodes) != len(left.keys):
        return False
    get = held.get
    for key, episode, known in zip(left.keys, episodes, left.held, strict=True):
        if get(key) is not known or (
            episode is not known
            and (episode.last_seen < known.last_seen or episode.first_seen > known.first_seen)
        ):
            return False
    return True
