"""The draft book's drafts by id, filed by case as well.

Contract: :class:`DraftsById` is a ``dict`` of draft id → :class:`~bridge.core.casework.Draft`
that also files each draft under its case (``Draft.incident_id``), so :meth:`DraftsById.of`
answers one case's drafts without a pass over every draft the book holds (the evaluation
timer's reconciliation asks it for each case it visits: at 10^4 open incidents a pass each
held the event loop for a second). ``of`` gives a case's drafts in the mapping's own order.
Setting, deleting and ``pop`` keep the filing; the ``dict`` methods that would bypass it
(``update``, ``setdefault``, ``popitem``, ``clear``, ``|=``) are refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from bridge.core.casework import Draft


class DraftsById(dict[str, Draft]):
    """See the module contract."""

    def __init__(self, drafts: Iterable[Draft] = ()) -> None:
        super().__init__()
        self._cases: dict[str, dict[str, Draft]] = {}
        for draft in drafts:
            self[draft.id] = draft

    def __setitem__(self, draft_id: str, draft: Draft) -> None:
        old = self.get(draft_id)
        if old is not None and old.incident_id != draft.incident_id:
            self._unfile(draft_id, old)
        super().__setitem__(draft_id, draft)
        self._cases.setdefault(draft.incident_id, {})[draft_id] = draft

    def __delitem__(self, draft_id: str) -> None:
        draft = self[draft_id]
        super().__delitem__(draft_id)
        self._unfile(draft_id, draft)

    def pop(self, draft_id: str, *default: Any) -> Any:
        if draft_id in self:
            draft = self[draft_id]
            del self[draft_id]
            return draft
        if default:
            return default[0]
        raise KeyError(draft_id)

    def of(self, case_id: str) -> list[Draft]:
        """The drafts of ``case_id``, in the mapping's order."""
        return list(self._cases.get(case_id, {}).values())

    def cases(self) -> list[str]:
        """The cases that have drafts here."""
        return list(self._cases)

    def _unfile(self, draft_id: str, draft: Draft) -> None:
        filed = self._cases.get(draft.incident_id)
        if filed is not None:
            filed.pop(draft_id, None)
            if not filed:
                del self._cases[draft.incident_id]

    def _refused(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("DraftsById keeps drafts filed by case: set, delete or pop them")

    update = setdefault = popitem = clear = __ior__ = _refused
