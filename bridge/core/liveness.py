"""Which incidents memory holds: the live ones. Pure.

Contract:
- :func:`settled_at` is when an incident stopped needing attention: a closed incident whose
  every obligation is sent or rejected (or waits, undrafted, for an event that has not come) is
  settled at its end; anything open, owing or with a draft in progress is not settled (None). A
  merged-away one settles with the incident it went into (``held``: what memory holds; followed
  to the end of a chain of merges): not while that one is live, since the notices it sent count
  as that one's (:meth:`Engine.absorbed <bridge.core.engine.Engine.absorbed>`), and at that
  one's settling once it settles, so they leave memory (and a restart leaves them out)
  together. One whose host memory no longer holds is settled at its own start (it holds
  nothing of its own).
- :func:`leaves_memory` is true once a settled incident lies a ``horizon`` behind ``now``. The
  store keeps every incident; memory keeps open and owing ones, and settled ones only within the
  horizon, so cost follows live work, not history.
- :func:`is_history` says an episode the engine does not hold belongs to history: resolved
  at or before the horizon's start. Its incident, if it had one, is settled and stored; admitting it
  again (a late re-delivery) would open a duplicate, so the engine leaves it to the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bridge.core.alerts import AlertEpisode
from bridge.core.incident_state import CLOSED, Incident
from bridge.core.obligations import OPEN, SETTLED


def settled_at(incident: Incident, held: Mapping[str, Incident]) -> datetime | None:
    """See the module contract; ``held``: the incidents memory holds, by id."""
    if incident.merged_into is not None:
        host = host_of(incident, held)
        return incident.started_at if host is None else settled_at(host, held)
    if incident.state != CLOSED or incident.ended_at is None:
        return None
    if not all(obligation_done(o.state, o.due_at is not None) for o in incident.obligations):
        return None
    return incident.ended_at


def host_of(incident: Incident, held: Mapping[str, Incident]) -> Incident | None:
    """The incident a merged-away one went into, followed to the end of a chain of merges;
    None when memory (``held``) no longer holds it (or the chain loops)."""
    seen = {incident.id}
    while incident.merged_into is not None:
        into = held.get(incident.merged_into)
        if into is None or into.id in seen:
            return None
        seen.add(into.id)
        incident = into
    return incident


def obligation_done(state: str, dated: bool) -> bool:
    """An obligation of a closed incident asks nothing more: sent, kept internally or rejected,
    or undrafted and undated, waiting for an event a closed incident can no longer bring
    (``pts_supplementary`` after a rejected initial report, ``nkom_update`` without a
    significant change). Memory and retention both settle an incident by it."""
    return state in SETTLED or (state == OPEN and not dated)


def leaves_memory(
    incident: Incident, held: Mapping[str, Incident], now: datetime, horizon: timedelta
) -> bool:
    """True once the incident is settled (``held``: as :func:`settled_at`) and its settling
    lies ``horizon`` before ``now``."""
    settled = settled_at(incident, held)
    return settled is not None and settled + horizon <= now


def is_history(episode: AlertEpisode, history_before: datetime | None) -> bool:
    """True for a resolved episode that ended at or before ``history_before`` (see the
    contract: an incident leaves memory once its end is that far behind)."""
    return (
        history_before is not None
        and not episode.firing
        and episode.ends_at is not None
        and episode.ends_at <= history_before
    )
