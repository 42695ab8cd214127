"""Redis's lease. Keys (``P`` = prefix): ``P lease`` (hash: holder, token; expired by Redis
itself, on the server's clock) and ``P lease:token`` (counter of fencing tokens). Fenced
scripts check it with ``lua/_fenced.lua``. A new token is above every token this process has
seen (its own, and the holder's when the lease was held by another), even after Redis rolled
back underneath (``lua/_floor.lua``): a stale leader's token is never handed to another."""

from __future__ import annotations

from datetime import timedelta

from bridge.errors import StoreUnsafe
from bridge.store.records import Lease
from bridge.store.redis.connection import RedisConnection
from bridge.store.redis.replies import text


class RedisLease(RedisConnection):
    """:class:`bridge.store.interfaces.LeaseStore` on Redis."""

    async def acquire_lease(self, holder: str, ttl: timedelta) -> int | None:
        """Take or renew the lease; StoreUnsafe (``reset``) once after Redis was found
        restarted or failed over underneath, so the caller steps down and reads again."""
        await self._check("acquire_lease")
        reset = self._take_reset()
        if reset is not None:
            raise StoreUnsafe("acquire_lease", reset, reset=True)
        ttl_ms = max(1, int(ttl.total_seconds() * 1000))
        keys = [self._key("lease"), self._key("lease:token")]
        args = [holder, str(ttl_ms), str(self._top_token)]
        result = await self._write("acquire_lease", "acquire_lease", keys, args)
        if text(result[0]) == "ok":
            return self._saw_token(int(text(result[1])))
        self._saw_token(int(text(result[2])))  # another's: a token of ours will be above it
        return None

    async def release_lease(self, holder: str) -> None:
        await self._write("release_lease", "release_lease", [self._key("lease")], [holder])

    async def current_lease(self) -> Lease | None:
        found = await self._call("current_lease", lambda c: c.hgetall(self._key("lease")))
        fields = {text(k): text(v) for k, v in found.items()}
        if "holder" not in fields or "token" not in fields:
            return None
        return Lease(fields["holder"], self._saw_token(int(fields["token"])))
