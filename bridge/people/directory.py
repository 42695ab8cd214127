"""People and API tokens over a store: the accounts admins manage (:mod:`.accounts`), the
sign-in steps (:mod:`.signin`) and API tokens (:mod:`.tokens`), sharing one way to write a user
(:mod:`.writes`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from argon2 import PasswordHasher

from bridge.config import AuthConfig
from bridge.core import access
from bridge.people.accounts import Accounts
from bridge.people.signin import SignIn
from bridge.people.tokens import Tokens
from bridge.people.writes import DirectoryStore, UserWrites


class Directory:
    """The three over one store and clock (``now``, injected in tests); ``configured``: the
    configured credentials (``auth``), whose API token names a stored token may not take."""

    def __init__(
        self,
        store: DirectoryStore,
        now: Callable[[], datetime],
        policy: access.LockoutPolicy | None = None,
        hasher: PasswordHasher | None = None,
        configured: AuthConfig | None = None,
    ) -> None:
        self.store = store
        writes = UserWrites(store, now, hasher)
        self.accounts = Accounts(writes)
        self.signin = SignIn(writes, policy)
        self.tokens = Tokens(writes, configured)
