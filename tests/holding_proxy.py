"""A TCP proxy on loopback, in the test's event loop, in front of a real server (Redis): it
passes bytes both ways until a client sends a chunk containing :attr:`HoldingProxy.hold_on`;
that chunk (and whatever follows on its connection) is held, not passed on, until
:meth:`HoldingProxy.release`. With :attr:`HoldingProxy.hold_reply_to` instead, the first such
chunk is passed on (the server runs the command) and the server's answer to it is held. So a
test stops a ``bridge serve`` child at a known command (one of its start-up or stop) as a slow
network would, and signals it there; the other connections go on meanwhile (a command sent on
another pooled connection passes)."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"


class HoldingProxy:
    """See the module docstring; ``async with HoldingProxy(port) as proxy`` listens on
    :attr:`port` and forwards to ``upstream_port``."""

    def __init__(
        self, upstream_port: int, hold_on: bytes | None = None, hold_reply_to: bytes | None = None
    ) -> None:
        self.upstream_port = upstream_port
        self.hold_on = hold_on  # None: nothing is held (yet)
        self.hold_reply_to = hold_reply_to  # once: the answer to the first chunk holding it
        self.held = asyncio.Event()  # set when a chunk was held
        self._released = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def release(self) -> None:
        """Pass the held chunk on, and everything after it; hold nothing more."""
        self.hold_on = None
        self._released.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(LOOPBACK, self.upstream_port)
        self._writers += [writer, up_writer]
        reply_held = asyncio.Event()  # this connection's next answer is to be held
        for task in (
            asyncio.create_task(self._pump(reader, up_writer, reply_held, requests=True)),
            asyncio.create_task(self._pump(up_reader, writer, reply_held, requests=False)),
        ):
            self._tasks.add(task)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        reply_held: asyncio.Event,
        *,
        requests: bool,
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                if requests and self.hold_on is not None and self.hold_on in chunk:
                    self.held.set()
                    await self._released.wait()
                if requests and self.hold_reply_to is not None and self.hold_reply_to in chunk:
                    self.hold_reply_to = None
                    reply_held.set()
                if not requests and reply_held.is_set():
                    self.held.set()
                    await self._released.wait()
                    reply_held.clear()
                writer.write(chunk)
                await writer.drain()
        writer.close()
