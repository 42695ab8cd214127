"""People's accounts as admins manage them: create, password, roles, name, disabled, TOTP reset,
unlock. Every change is one compare-and-set write carrying its audit entry (``user.*``);
``attest`` adds to each entry what the API knows of the admin's second factor
(``second_factor``, ``second_factor_at``; the CLI gives none). Who may make a change is decided
before (bridge/web/decisions.py); these only check the data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from bridge.errors import Conflict
from bridge.people.rules import check_grants, check_name, check_password
from bridge.people.writes import UserWrites
from bridge.store.records import AuditEntry, UserRecord


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
    ) -> UserRecord:
        """A new user (Conflict when the name is taken)."""
        check_name(name)
        roles = check_grants(grants)
        check_password(password)
        now = self.writes.now()
        user = UserRecord(
            name=name,
            display_name=display_name or name,
            password_hash=await self.writes.hash(password),
            grants=roles,
            created_at=now,
            updated_at=now,
        )
        audit = self.writes.audit(
            actor, "user.create", f"user:{name}", roles=list(roles), **(attest or {})
        )
        await self.writes.store.put_user(user, None, [audit])
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
            new = replace(u, password_hash=hashed, failed_logins=0, locked_until=None)
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
    ) -> UserRecord:
        """Change roles, name shown, disabled flag, TOTP enrolment or lock; audited.
        Disabling or resetting TOTP ends the user's sessions. ``expect_grants``: the roles the
        user held when the caller was found allowed to change them; held no longer when the
        write is made (another admin changed them meanwhile), the change is a Conflict and
        nothing is written."""
        roles = check_grants(grants) if grants is not None else None
        detail = dict(attest or {})

        async def change(u: UserRecord) -> tuple[UserRecord, list[AuditEntry], UserRecord]:
            _still(u, expect_grants)
            new, audit, target = u, [], f"user:{name}"
            if roles is not None and roles != u.grants:
                new = replace(new, grants=roles)
                audit.append(
                    self.writes.audit(
                        actor, "user.roles", target, old=list(u.grants), new=list(roles), **detail
                    )
                )
            if display_name is not None and display_name != u.display_name:
                new = replace(new, display_name=display_name)
                audit.append(
                    self.writes.audit(
                        actor, "user.rename", target, display_name=display_name, **detail
                    )
                )
            if disabled is not None and disabled != u.disabled:
                new = replace(new, disabled=disabled)
                action = "user.disable" if disabled else "user.enable"
                audit.append(self.writes.audit(actor, action, target, **detail))
            if reset_totp and (u.totp_secret or u.totp_enrolled):
                new = replace(new, totp_secret=None, totp_enrolled=False, totp_last_step=0)
                audit.append(self.writes.audit(actor, "user.totp_reset", target, **detail))
            if unlock and (u.locked_until or u.failed_logins):
                new = replace(new, failed_logins=0, locked_until=None)
                audit.append(self.writes.audit(actor, "user.unlock", target, **detail))
            return new, audit, new

        user = await self.writes.change(name, change)
        if user.disabled or reset_totp:
            await self.writes.store.delete_user_sessions(name)
        return user


def _still(user: UserRecord, grants: Sequence[str] | None) -> None:
    if grants is not None and tuple(grants) != user.grants:
        raise Conflict(
            f"user {user.name}",
            "their roles changed while this change was being checked; nothing was done: retry",
        )
