"""People's accounts as admins manage them: create, password, roles, name, disabled, TOTP reset,
unlock. Every change is one compare-and-set write carrying its audit entry (``user.*``);
``attest`` adds to each entry what the API knows of the admin's second factor
(``second_factor``, ``second_factor_at``; the CLI gives none). Who may make a change is decided
before (bridge/web/decisions.py); these only check the data.

Two admins for power (``second_admin=True``, what the API asks): a role that approves or
administers is not given by the admin who asks for it. :func:`bridge.core.access.withheld`
splits the roles asked for; what raises nothing is done at once (taking roles away too), the
rest waits on the user (:class:`~bridge.store.records.UserRecord` ``pending_*``, audited
``user.roles_requested``) until another person confirms it (:meth:`Accounts.confirm_roles`,
``user.roles_confirmed``) or someone cancels it (:meth:`Accounts.cancel_roles`,
``user.roles_cancelled``). One grant waits per person: asking again replaces it, and a change
of roles without the waiting ones drops it (both audited as cancelled, ``replaced: true``). A
new person asked for with such roles is made without them, the grant waiting. The CLI
(``bridge users``) gives roles at once: it is run by whoever holds the server's keys.

The name shown (``display_name``) is one line of a person's text
(:func:`check_display_name`): ``bridge users list`` prints it in a tab-separated line on an
operator's terminal, where a line break or tab forged a user's line and an escape sequence
reached the terminal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bridge.core.access import withheld
from bridge.core.alerts import format_time
from bridge.core.person_text import clean_text
from bridge.errors import Conflict
from bridge.people.rules import check_grants, check_name, check_password
from bridge.people.writes import UserWrites
from bridge.store.records import AuditEntry, UserRecord

#: the longest name shown a person may be given
MAX_DISPLAY_NAME = 100


def check_display_name(text: str) -> str:
    """``text`` as a name shown: stripped, one line of at most :data:`MAX_DISPLAY_NAME`
    characters without control, bidirectional or format characters; else BadInput naming
    ``display_name``."""
    return clean_text(text, "display_name", MAX_DISPLAY_NAME, one_line=True)


class Accounts:
    """See the module docstring."""

    def __init__(self, writes: UserWrites) -> None:
        self.writes = writes

    async def get(self, name: str) -> UserRecord | None:
        return await self.writes.store.get_user(name)

    async def add_user(
        self,
        name: str,
        grants: Sequence[str],
        password: str,
        actor: str,
        display_name: str = "",
        attest: Mapping[str, str] | None = None,
        *,
        second_admin: bool = False,
    ) -> UserRecord:
        """A new user (Conflict when the name is taken); with ``second_admin``, made without
        the roles that approve or administer, which wait for another admin (module doc)."""
        check_name(name)
        roles = check_grants(grants)
        check_password(password)
        display_name = check_display_name(display_name)
        now = self.writes.now()
        split = withheld((), roles) if second_admin else None
        user = UserRecord(
            name=name,
            display_name=display_name or name,
            password_hash=await self.writes.hash(password),
            grants=split.now if split else roles,
            created_at=now,
            updated_at=now,
        )
        detail = dict(attest or {})
        audit = [
            self.writes.audit(
                actor, "user.create", f"user:{name}", roles=list(user.grants), **detail
            )
        ]
        if split and split.pending:
            user = replace(user, pending_roles=split.pending, pending_by=actor, pending_at=now)
            audit.append(self._requested(user, actor, detail))
        await self.writes.store.put_user(user, None, audit)
        return user

    async def set_password(
        self,
        name: str,
        password: str,
        actor: str,
        attest: Mapping[str, str] | None = None,
        expect_grants: Sequence[str] | None = None,
    ) -> UserRecord:
        """New password; the user's sessions end and any lock is lifted. ``expect_grants``:
        see :meth:`update`."""
        check_password(password)
        hashed = await self.writes.hash(password)
        detail = dict(attest or {})

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], UserRecord]:
            _still(u, expect_grants)
            new = replace(
                u,
                password_hash=hashed,
                failed_logins=0,
                locked_until=None,
                totp_failures=0,
                totp_locked_until=None,
            )
            return new, [self.writes.audit(actor, "user.password", f"user:{name}", **detail)], new

        user = await self.writes.change(name, change)
        await self.writes.store.delete_user_sessions(name)
        return user

    async def update(
        self,
        name: str,
        actor: str,
        *,
        grants: Sequence[str] | None = None,
        display_name: str | None = None,
        disabled: bool | None = None,
        reset_totp: bool = False,
        unlock: bool = False,
        attest: Mapping[str, str] | None = None,
        expect_grants: Sequence[str] | None = None,
        second_admin: bool = False,
    ) -> UserRecord:
        """Change roles, name shown, disabled flag, TOTP enrolment or lock; audited.
        Disabling or resetting TOTP ends the user's sessions. ``expect_grants``: the roles the
        user held when the caller was found allowed to change them; held no longer when the
        write is made (another admin changed them meanwhile), the change is a Conflict and
        nothing is written. ``second_admin``: roles that approve or administer wait for
        another admin (module doc); ``grants`` equal to those held change nothing (a grant
        waiting stays)."""
        roles = check_grants(grants) if grants is not None else None
        shown = check_display_name(display_name) if display_name is not None else None
        detail = dict(attest or {})

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], UserRecord]:
            _still(u, expect_grants)
            named = None if shown is None else shown or u.name
            new, audit, target = u, [], f"user:{name}"
            if roles is not None and roles != u.grants:
                split = withheld(u.grants, roles) if second_admin else None
                now = split.now if split else roles
                if now != u.grants:
                    new = replace(new, grants=now)
                    audit.append(
                        self.writes.audit(
                            actor, "user.roles", target, old=list(u.grants), new=list(now), **detail
                        )
                    )
                pending = split.pending if split else ()
                kept = split.kept if split else ()
                if (pending, kept) != (u.pending_roles, u.pending_kept):
                    if u.pending_roles:
                        audit.append(self._cancelled(u, actor, detail, replaced=True))
                        new = _cleared(new)
                    if pending:
                        new = replace(
                            new,
                            pending_roles=pending,
                            pending_kept=kept,
                            pending_by=actor,
                            pending_at=self.writes.now(),
                        )
                        audit.append(self._requested(new, actor, detail))
            if named is not None and named != u.display_name:
                new = replace(new, display_name=named)
                audit.append(
                    self.writes.audit(actor, "user.rename", target, display_name=named, **detail)
                )
            if disabled is not None and disabled != u.disabled:
                new = replace(new, disabled=disabled)
                action = "user.disable" if disabled else "user.enable"
                audit.append(self.writes.audit(actor, action, target, **detail))
            if reset_totp and (u.totp_secret or u.totp_enrolled):
                new = replace(new, totp_secret=None, totp_enrolled=False, totp_last_step=0)
                audit.append(self.writes.audit(actor, "user.totp_reset", target, **detail))
            if unlock and (
                u.locked_until or u.failed_logins or u.totp_locked_until or u.totp_failures
            ):
                new = replace(
                    new, failed_logins=0, locked_until=None, totp_failures=0, totp_locked_until=None
                )
                audit.append(self.writes.audit(actor, "user.unlock", target, **detail))
            return new, audit, new

        user = await self.writes.change(name, change)
        if user.disabled or reset_totp:
            await self.writes.store.delete_user_sessions(name)
        return user

    async def confirm_roles(
        self,
        name: str,
        actor: str,
        roles: Sequence[str],
        requested_by: str,
        attest: Mapping[str, str] | None = None,
    ) -> UserRecord:
        """Give the roles waiting for ``name`` (those ``roles``, asked for by ``requested_by``:
        what the confirming admin was shown; else Conflict, nothing written) and drop the roles
        kept meanwhile. Conflict when ``actor`` asked for them or is ``name`` (the API refuses
        both before; this holds in a race too)."""
        detail = dict(attest or {})

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], UserRecord]:
            still_waiting(u, roles, requested_by)
            if actor in (u.pending_by, u.name):
                raise Conflict(f"user {name}", f"{actor} may not confirm this grant")
            kept = set(u.pending_kept)
            grants = tuple(dict.fromkeys((*(g for g in u.grants if g not in kept), *roles)))
            new = _cleared(replace(u, grants=grants))
            entry = self.writes.audit(
                actor,
                "user.roles_confirmed",
                f"user:{name}",
                roles=list(u.pending_roles),
                requested_by=u.pending_by,
                requested_at=_at(u),
                old=list(u.grants),
                new=list(grants),
                **detail,
            )
            return new, [entry], new

        return await self.writes.change(name, change)

    async def cancel_roles(
        self,
        name: str,
        actor: str,
        roles: Sequence[str] | None = None,
        attest: Mapping[str, str] | None = None,
    ) -> UserRecord:
        """Drop the grant waiting for ``name`` (when ``roles`` is given: only if those are the
        roles waiting); the roles held stay as they are. Conflict when none waits."""
        detail = dict(attest or {})

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], UserRecord]:
            still_waiting(u, roles, None)
            new = _cleared(u)
            return new, [self._cancelled(u, actor, detail)], new

        return await self.writes.change(name, change)

    def _requested(self, u: UserRecord, actor: str, detail: Mapping[str, str]) -> AuditEntry:
        return self.writes.audit(
            actor,
            "user.roles_requested",
            f"user:{u.name}",
            roles=list(u.pending_roles),
            held=list(u.grants),
            **detail,
        )

    def _cancelled(
        self, u: UserRecord, actor: str, detail: Mapping[str, str], replaced: bool = False
    ) -> AuditEntry:
        more = {"replaced": True} if replaced else {}
        return self.writes.audit(
            actor,
            "user.roles_cancelled",
            f"user:{u.name}",
            roles=list(u.pending_roles),
            requested_by=u.pending_by,
            requested_at=_at(u),
            **more,
            **detail,
        )


def _at(u: UserRecord) -> str | None:
    return format_time(u.pending_at)


def _cleared(u: UserRecord) -> UserRecord:
    """``u`` with no grant waiting."""
    return replace(u, pending_roles=(), pending_kept=(), pending_by="", pending_at=None)


def still_waiting(u: UserRecord, roles: Sequence[str] | None, by: str | None = None) -> None:
    """Conflict unless a grant waits for ``u`` (of ``roles``, asked for by ``by``, when given):
    what a confirmation or cancellation checks before it asks for a code, and again in its
    write."""
    if not u.pending_roles:
        raise Conflict(f"user {u.name}", "nothing waits for confirmation: no roles were asked for")
    if roles is not None and tuple(roles) != u.pending_roles:
        raise Conflict(
            f"user {u.name}",
            f"the roles waiting are {', '.join(u.pending_roles)}, not "
            f"{', '.join(roles) or 'none'}: reload and look again; nothing was done",
        )
    if by is not None and by != u.pending_by:
        raise Conflict(
            f"user {u.name}",
            f"these roles were asked for again, by {u.pending_by}: reload; nothing was done",
        )


def _still(user: UserRecord, grants: Sequence[str] | None) -> None:
    if grants is not None and tuple(grants) != user.grants:
        raise Conflict(
            f"user {user.name}",
            "their roles changed while this change was being checked; nothing was done: retry",
        )
